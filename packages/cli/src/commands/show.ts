import { Command } from 'commander';
import { Chalk } from 'chalk';
import { resolve } from 'node:path';
import { readResult, renderResult, renderRunHeader, terminalWidth, timelineRowsOption, WIDE_HELP } from '@keepalive-lab/report';
import type { CommandContext } from '../context.js';
import { WATCH_HELP, watchOptions, type WatchFlags } from '../live/watch-options.js';
import { replayWatch } from '../live/watch-session.js';

interface ShowFlags extends WatchFlags {
  json?: boolean;
  resultsDir: string;
  timeline: string;
  wide?: boolean;
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
    .option('--wide', WIDE_HELP)
    .option('--watch', WATCH_HELP.replay)
    .option('--speed <factor>', WATCH_HELP.speed)
    .option('--watch-port <port>', WATCH_HELP.watchPort)
    .option('--open', WATCH_HELP.open)
    .option('--watch-exit', WATCH_HELP.watchExit)
    .action(async (ref: string, flags: ShowFlags) => {
      const timeline = timelineRowsOption(flags.timeline);
      watchOptions(flags); // a bad --speed is refused before anything is read
      const { doc } = await readResult(ref, resolve(ctx.cwd, flags.resultsDir));
      if (flags.json) {
        ctx.stdout.write(`${JSON.stringify(doc)}\n`);
      } else {
        const color = new Chalk().level > 0;
        ctx.stdout.write(renderRunHeader(doc.scenario, { color, width: terminalWidth(ctx.stdout, flags.wide) }));
        ctx.stdout.write(renderResult(doc, { color, width: terminalWidth(ctx.stdout, flags.wide), timeline }));
      }
      await replayWatch(ctx, doc, flags);
    });
}
