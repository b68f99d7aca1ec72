import { Command } from 'commander';
import { Chalk } from 'chalk';
import { resolve } from 'node:path';
import { LabError } from '@keepalive-lab/core';
import { PROXY_COMPONENTS, findProxyComponent } from '@keepalive-lab/proxies';
import {
  listScenarioFiles,
  loadScenario,
  observedRuns,
  runMatrix,
  saveMatrix,
  type LoadedScenario,
  type MatrixProgress,
} from '@keepalive-lab/scenarios';
import { matrixMarkdown, renderMatrix, terminalWidth, WIDE_HELP } from '@keepalive-lab/report';
import type { CommandContext } from '../context.js';
import type { SetExitCode } from './index.js';
import { loadAll, scenarioDirs } from './scenario-refs.js';

interface MatrixFlags {
  proxies?: string;
  json?: boolean;
  markdown?: boolean;
  save: boolean;
  resultsDir: string;
  wide?: boolean;
}

/** The kinds a matrix runs when none are named: every kind the lab can start, but naive-l4 (it stalls). */
const DEFAULT_KINDS = PROXY_COMPONENTS.filter((c) => c.startable && c.inDefaultMatrix).map((c) => c.kind);

/**
 * `lab matrix [scenario...] [--proxies k1,k2]`: each observed behaviour of
 * each scenario, measured through each proxy kind, in one table. ✗ cells are
 * findings, not failures: the exit code is 1 only when a run could not
 * happen (every kind missing, a peer that failed to start).
 */
export function matrixCommand(ctx: CommandContext, setExitCode: SetExitCode): Command {
  return new Command('matrix')
    .description('measure what each proxy kind does, one row per behaviour the scenarios observe')
    .argument('[scenarios...]', 'scenario names or files (default: every scenario with observe: rows)')
    .option('--proxies <k1,k2,...>', `proxy kinds, in column order (default: ${DEFAULT_KINDS.join(',')})`)
    .option('--json', "print the matrix document only (every run's records included)")
    .option('--markdown', 'print the matrix as markdown (how docs/matrix.md is made)')
    .option('--no-save', 'do not write results/matrix/<time>.json')
    .option('--results-dir <dir>', 'where results are saved', 'results')
    .option('--wide', WIDE_HELP)
    .action(async (names: string[], flags: MatrixFlags) => {
      const kinds = parseKinds(flags.proxies);
      const scenarios = await matrixScenarios(ctx, names);
      const missing = kinds.map((k) => findProxyComponent(k)?.missing() ?? null);
      if (missing.every((m) => m !== null)) {
        throw new LabError('LAB_ERR_PEER_MISSING', `no proxy kind of the matrix is installed: ${missing.join('; ')}`, {
          expected: kinds.join(', '),
          found: 'none installed',
        });
      }
      const c = new Chalk();
      const tty = Boolean(ctx.stderr.isTTY) && !flags.json && !flags.markdown;
      for (const [i, m] of missing.entries())
        if (m !== null) ctx.stderr.write(`${(kinds[i] ?? '').padEnd(14)} ${c.yellow('– skipped')}: ${m}\n`);
      const doc = await runMatrix(scenarios, kinds, tty ? progress(ctx) : undefined);
      if (tty) ctx.stderr.write('\r\x1b[2K');
      if (doc.runs.some((r) => r.error !== null)) setExitCode(1);
      const saved = flags.save ? await saveMatrix(doc, resolve(ctx.cwd, flags.resultsDir)) : null;
      if (flags.json) ctx.stdout.write(`${JSON.stringify(doc)}\n`);
      else if (flags.markdown) ctx.stdout.write(matrixMarkdown(doc, commandLine(names, flags)));
      else {
        ctx.stdout.write(renderMatrix(doc, { color: c.level > 0, width: terminalWidth(ctx.stdout, flags.wide) }));
        if (saved) ctx.stdout.write(c.dim(`saved ${saved}\n`));
      }
    });
}

function parseKinds(text: string | undefined): string[] {
  if (text === undefined) return DEFAULT_KINDS;
  const kinds = text
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k !== '');
  const startable = PROXY_COMPONENTS.filter((c) => c.startable).map((c) => c.kind);
  for (const k of kinds) {
    if (!startable.includes(k)) {
      throw new LabError(
        'LAB_ERR_USAGE',
        `--proxies: ${JSON.stringify(k)} is not a proxy kind the lab can start; expected some of ${startable.join(', ')}`,
        {
          path: '--proxies',
          expected: startable.join(', '),
          found: k,
          known: startable,
        },
      );
    }
  }
  if (kinds.length === 0)
    throw new LabError('LAB_ERR_USAGE', '--proxies: expected at least one kind', {
      path: '--proxies',
      expected: startable.join(', '),
      found: JSON.stringify(text),
    });
  return [...new Set(kinds)];
}

/** The named scenarios (each must observe something), or every scenario that does. */
async function matrixScenarios(ctx: CommandContext, names: string[]): Promise<LoadedScenario[]> {
  if (names.length > 0) {
    const loaded = await loadAll(ctx, names, false, []);
    for (const l of loaded) {
      if (observedRuns(l).length === 0) {
        throw new LabError(
          'LAB_ERR_USAGE',
          `${l.file}: scenario ${l.scenario.name} has no observe: rows, so it adds nothing to a matrix (docs/reference.md, "observe")`,
          { file: l.file, path: 'observe' },
        );
      }
    }
    return loaded;
  }
  const out: LoadedScenario[] = [];
  for (const file of await listScenarioFiles(scenarioDirs(ctx))) {
    const r = await loadScenario(file);
    if (!r.ok) throw r.error;
    if (observedRuns(r.value).length > 0) out.push(r.value);
  }
  return out;
}

function progress(ctx: CommandContext): (p: MatrixProgress) => void {
  return (p) => {
    const where = `${p.scenario}${p.variant === null ? '' : `:${p.variant}`} × ${p.kind}`;
    ctx.stderr.write(`\r\x1b[2Kmatrix ${p.done + 1}/${p.total} · ${where}`);
  };
}

const commandLine = (names: string[], f: MatrixFlags): string =>
  ['lab matrix', ...names, ...(f.proxies ? [`--proxies ${f.proxies}`] : []), '--markdown'].join(' ');
