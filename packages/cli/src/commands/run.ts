import { Command } from 'commander';
import { Chalk } from 'chalk';
import { resolve } from 'node:path';
import { LabError } from '@keepalive-lab/core';
import { runToDocument, saveResult, type ResultDocument } from '@keepalive-lab/scenarios';
import { renderResult, renderRunHeader, terminalWidth, timelineRowsOption, verdictLine, WIDE_HELP } from '@keepalive-lab/report';
import type { CommandContext } from '../context.js';
import type { SetExitCode } from './index.js';
import { loadAll } from './scenario-refs.js';
import { progressLine } from '../progress.js';
import { WATCH_HELP, type WatchFlags } from '../live/watch-options.js';
import { watchingRun } from '../live/watch-session.js';
import type { RunHub } from '../live/run-hub.js';

interface RunFlags extends WatchFlags {
  all?: boolean;
  set: string[];
  json?: boolean;
  save: boolean;
  resultsDir: string;
  quiet?: boolean;
  timeline: string;
  wide?: boolean;
}

const collect = (v: string, prev: string[]) => [...prev, v];

export function runCommand(ctx: CommandContext, setExitCode: SetExitCode): Command {
  return new Command('run')
    .description('run scenarios, print tables and the verdict, save a result')
    .argument('[names...]', 'scenario names or file.yaml paths')
    .option('--all', 'run every scenario')
    .option('--set <path=value>', 'override a scenario field (repeatable), e.g. origins.0.keepAliveTimeout=1s', collect, [])
    .option('--json', 'print the result document(s) only')
    .option('--no-save', 'do not write results/<name>/<time>.json')
    .option('--results-dir <dir>', 'where results are saved', 'results')
    .option('--quiet', 'print only the verdict line per scenario')
    .option('--timeline <rows>', 'timeline rows: client (one per client connection) or origin', 'client')
    .option('--wide', WIDE_HELP)
    .option('--watch', WATCH_HELP.watch)
    .option('--watch-port <port>', WATCH_HELP.watchPort)
    .option('--open', WATCH_HELP.open)
    .option('--watch-exit', WATCH_HELP.watchExit)
    .action(
      watchingRun(ctx, async (names: string[], flags: RunFlags, hub: RunHub) => {
        if (names.length === 0 && !flags.all) {
          throw new LabError('LAB_ERR_USAGE', 'run: name a scenario (see `lab list`) or pass --all');
        }
        const timeline = timelineRowsOption(flags.timeline);
        const loaded = await loadAll(ctx, names, flags.all ?? false, flags.set);
        const c = new Chalk();
        const docs: ResultDocument[] = [];
        const tty = Boolean(ctx.stdout.isTTY && ctx.stderr.isTTY) && !flags.json;
        for (const l of loaded) {
          if (!flags.json && !flags.quiet)
            ctx.stdout.write(renderRunHeader(l.scenario, { color: c.level > 0, width: terminalWidth(ctx.stdout, flags.wide) }));
          const progress = tty ? progressLine(ctx.stderr) : null;
          // The line needs only the clock and the count: the run makes no record per request for it.
          const unsubscribe = progress ? hub.subscribe(progress.follow, { detail: false }) : null;
          let doc: ResultDocument;
          try {
            // The runner's stream goes to whoever follows it: the progress line, the live page.
            doc = await runToDocument(l, hub.follower() ?? undefined);
          } catch (err) {
            // A run that could not happen (a missing peer, a component failing) fails that scenario
            // only: the others still run, and the exit code says something failed.
            if (!(err instanceof LabError) || err.exitCode !== 1 || loaded.length === 1) throw err;
            if (err.code === 'LAB_ERR_PEER_MISSING') {
              // A real peer (nginx) this machine lacks: that part is skipped, with how to get it.
              ctx.stderr.write(`${l.scenario.name.padEnd(24)} ${c.yellow('– skipped')}: ${err.message}\n`);
            } else {
              ctx.stderr.write(`${l.scenario.name.padEnd(24)} ${c.red('✗ run failed')}: ${err.message} (${err.code})\n`);
              setExitCode(1);
            }
            continue;
          } finally {
            unsubscribe?.();
            progress?.clear();
          }
          docs.push(doc);
          if (doc.verdict !== 'reproduced') setExitCode(1);
          const saved = flags.save ? await saveResult(doc, resolve(ctx.cwd, flags.resultsDir)) : null;
          if (flags.json) continue;
          if (flags.quiet) ctx.stdout.write(`${l.scenario.name.padEnd(24)} ${verdictLine(doc, c)}\n`);
          else ctx.stdout.write(renderResult(doc, { color: c.level > 0, width: terminalWidth(ctx.stdout, flags.wide), timeline }));
          if (saved && !flags.quiet) ctx.stdout.write(c.dim(`saved ${saved}\n\n`));
        }
        // Always an array, one document per scenario: a script reads one shape whatever it ran.
        if (flags.json) ctx.stdout.write(`${JSON.stringify(docs)}\n`);
      }),
    );
}
