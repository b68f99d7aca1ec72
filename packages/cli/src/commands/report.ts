import { Command } from 'commander';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { buildReport, loadViews, MATRIX_FOLDER, savedScenarioNames } from '@keepalive-lab/report';
import { loadMatrix } from '@keepalive-lab/scenarios';
import type { CommandContext } from '../context.js';

interface ReportFlags {
  out?: string;
  resultsDir: string;
}

/**
 * `lab report [name...] [--out FILE]`: one self-contained HTML page of saved
 * results (every scenario's latest when none is named, in the story's order
 * as `lab list` shows it; named ones in the order named), with a comparison
 * when there are several. Reads result files, writes one file.
 */
export function reportCommand(ctx: CommandContext): Command {
  return new Command('report')
    .description(
      "write one self-contained HTML page of saved results, with charts (latest of every scenario by default, in the story's order)",
    )
    .argument('[results...]', 'scenario names (latest result), result .json files, name:variant, or matrix (the latest lab matrix)')
    .option('--out <file>', 'where to write the page (default: <results-dir>/report.html)')
    .option('--results-dir <dir>', 'where results are saved', 'results')
    .action(async (refs: string[], flags: ReportFlags) => {
      const dir = resolve(ctx.cwd, flags.resultsDir);
      // `matrix` names the latest saved matrix; with no names, it is shown when there is one.
      const wantsMatrix = refs.length === 0 || refs.includes(MATRIX_FOLDER);
      const names = refs.length > 0 ? refs.filter((r) => r !== MATRIX_FOLDER) : await savedScenarioNames(dir);
      const views = await loadViews(names, dir);
      const latest = wantsMatrix ? await loadMatrix(null, dir) : null;
      if (refs.includes(MATRIX_FOLDER) && latest !== null && !latest.ok) throw latest.error;
      const matrix = latest?.ok ? latest.value.doc : null;
      const html = buildReport(views, { matrix });
      const out = resolve(ctx.cwd, flags.out ?? resolve(dir, 'report.html'));
      await mkdir(dirname(out), { recursive: true });
      await writeFile(out, html);
      const kb = Math.round(Buffer.byteLength(html) / 1024);
      const shown = relative(ctx.cwd, out);
      const parts = [
        ...(matrix ? ['the matrix'] : []),
        ...(views.length > 0 ? [`${views.length} result${views.length === 1 ? '' : 's'}: ${views.map((v) => v.label).join(', ')}`] : []),
      ];
      ctx.stdout.write(`wrote ${shown === '' || shown.startsWith('..') ? out : shown} (${parts.join('; ')}; ${kb} kB)\n`);
    });
}
