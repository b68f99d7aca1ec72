import { Command } from 'commander';
import { Chalk } from 'chalk';
import { resolve } from 'node:path';
import { LabError } from '@keepalive-lab/core';
import { compareViews, loadViews, renderComparison, terminalWidth, WIDE_HELP } from '@keepalive-lab/report';
import type { CommandContext } from '../context.js';

interface CompareFlags {
  json?: boolean;
  resultsDir: string;
  wide?: boolean;
}

const MIN = 2;
const MAX = 6;

/**
 * `lab compare <a> <b> [...]`: saved results side by side. A result with
 * variants counts once per variant (`pool-head-of-line` alone compares its
 * two); `name:variant` picks one. Reads files only.
 */
export function compareCommand(ctx: CommandContext): Command {
  return new Command('compare')
    .description('metrics and port chains of 2..6 saved results side by side (latest for a name)')
    .argument('<results...>', 'scenario names (latest result), result .json files, or name:variant')
    .option('--json', 'print the comparison as one JSON document')
    .option('--results-dir <dir>', 'where results are saved', 'results')
    .option('--wide', WIDE_HELP)
    .action(async (refs: string[], flags: CompareFlags) => {
      const views = await loadViews(refs, resolve(ctx.cwd, flags.resultsDir));
      if (views.length < MIN || views.length > MAX) {
        throw new LabError(
          'LAB_ERR_USAGE',
          `compare: expected ${MIN} to ${MAX} results (a variant counts as one), found ${views.length}: ${views.map((v) => v.label).join(', ')}`,
          {
            expected: `${MIN}..${MAX} results`,
            found: String(views.length),
          },
        );
      }
      const cmp = compareViews(views);
      if (flags.json) ctx.stdout.write(`${JSON.stringify(cmp)}\n`);
      else ctx.stdout.write(renderComparison(cmp, { color: new Chalk().level > 0, width: terminalWidth(ctx.stdout, flags.wide) }));
    });
}
