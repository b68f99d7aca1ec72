import { Command } from 'commander';
import { Chalk } from 'chalk';
import { resolve } from 'node:path';
import { readResult, renderResult, renderRunHeader, timelineRowsOption } from '@keepalive-lab/report';
import type { CommandContext } from '../context.js';

interface ShowFlags {
  json?: boolean;
  resultsDir: string;
  timeline: string;
}

/**
 * `lab show <name|file>`: the saved result printed as `lab run` printed it
 * (same header, same renderer), or the stored document with --json. Reads
 * the file only: nothing is rerun, no socket is opened.
 */
export function showCommand(ctx: CommandContext): Command {
  return new Command('show')
    .description('print a saved result again, as `lab run` printed it (latest for a name)')
    .argument('<result>', 'scenario name (its latest result) or a result .json file')
    .option('--json', 'print the stored result document')
    .option('--results-dir <dir>', 'where results are saved', 'results')
    .option('--timeline <rows>', 'timeline rows: client (one per client connection) or origin', 'client')
    .action(async (ref: string, flags: ShowFlags) => {
      const timeline = timelineRowsOption(flags.timeline);
      const { doc } = await readResult(ref, resolve(ctx.cwd, flags.resultsDir));
      if (flags.json) {
        ctx.stdout.write(`${JSON.stringify(doc)}\n`);
        return;
      }
      const color = new Chalk().level > 0;
      ctx.stdout.write(renderRunHeader(doc.scenario, { color }));
      ctx.stdout.write(renderResult(doc, { color, width: ctx.stdout.columns ?? 100, timeline }));
    });
}
