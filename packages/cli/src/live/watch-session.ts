import { LiveModel, replayTimeline } from '@keepalive-lab/report';
import type { ResultDocument } from '@keepalive-lab/scenarios';
import type { CommandContext } from '../context.js';
import { startLiveServer, type ControlHandler, type LiveServer } from './live-server.js';
import { openBrowser } from './open-browser.js';
import { ReplayPlayer } from './replay-player.js';
import { runHub, type RunHub } from './run-hub.js';
import { watchOptions, type WatchFlags, type WatchOptions } from './watch-options.js';

/** With --open: how long the run waits for the opened page before starting without it. */
export const OPEN_WAIT_MS = 10_000;

/**
 * `lab run --watch`: wraps the run command's action. The body runs the
 * scenarios with the hub's `emit` as the runner's stream; with --watch the
 * live page's server subscribes to it first, and after the runs it keeps
 * serving the final state until Ctrl-C (or --watch-exit). Whatever happens,
 * the server and every page's socket are closed before the command returns.
 */
export function watchingRun<F extends WatchFlags>(
  ctx: CommandContext,
  body: (names: string[], flags: F, hub: RunHub) => Promise<void>,
): (names: string[], flags: F) => Promise<void> {
  return async (names, flags) => {
    const opts = watchOptions(flags);
    const hub = runHub();
    if (opts === null) return body(names, flags, hub);
    const server = await startLiveServer(new LiveModel('live'), opts.port);
    let broken = false;
    const unsubscribe = hub.subscribe((p) => {
      if (broken) return;
      // Called inside the components' own handlers: a bug in the page's model must not fail the run.
      try {
        server.apply(p);
        if (p.type === 'end') server.flush();
      } catch (err) {
        broken = true;
        ctx.stderr.write(
          `live view: stopped following the run (a bug, please report it): ${err instanceof Error ? err.message : String(err)}\n`,
        );
      }
    });
    try {
      await announce(ctx, server, opts, 'the run starts');
      await body(names, flags, hub);
      await keepServing(ctx, server, opts, 'the run is over');
    } finally {
      unsubscribe();
      await server.close();
    }
  };
}

/**
 * `lab show <result> --watch`: the saved run told again on the same stream,
 * at --speed, from when the first page connects; the page's buttons pause,
 * resume, change the speed and start over.
 */
export async function replayWatch(ctx: CommandContext, doc: ResultDocument, flags: WatchFlags): Promise<void> {
  const opts = watchOptions(flags);
  if (opts === null) return;
  const model = new LiveModel('replay');
  let server: LiveServer | null = null;
  const player = new ReplayPlayer(replayTimeline(doc), opts.speed, (p) => {
    model.apply(p);
    if (p.type === 'end') server?.flush();
  });
  const state = () => model.setReplay({ speed: player.speed, paused: player.paused });
  state();
  const control: ControlHandler = (action, value) => {
    if (action === 'pause') player.pause();
    else if (action === 'resume') player.resume();
    else if (action === 'restart') player.restart();
    else if (value !== null && value > 0 && value <= 1000) player.setSpeed(value);
    state();
    server?.flush();
  };
  server = await startLiveServer(model, opts.port, control);
  try {
    await announce(ctx, server, opts, 'the replay starts');
    if (!opts.open) ctx.stderr.write('live view: the replay starts when the page connects\n');
    // Ctrl-C before any page came (or during the replay, with --watch-exit) ends it too.
    const stopped = ctx.stopSignal.then(() => 'stopped' as const);
    if ((await Promise.race([server.firstPage, stopped])) === 'stopped') return;
    player.start();
    if (opts.exit && (await Promise.race([player.finished, stopped])) === 'stopped') return;
    await keepServing(ctx, server, opts, 'the replay is over');
  } finally {
    player.stop();
    await server.close();
  }
}

/** Prints the URL; with --open, opens it and waits (a while) for the page, so it sees the start. */
async function announce(ctx: CommandContext, server: LiveServer, opts: WatchOptions, what: string): Promise<void> {
  const stop = opts.exit ? 'it closes when the run ends' : 'Ctrl-C stops it';
  ctx.stderr.write(`live view: ${server.url} (${stop})\n`);
  if (!opts.open) return;
  const by = await openBrowser(server.url);
  if (by === null) {
    ctx.stderr.write('live view: no browser to open here ($BROWSER unset, no xdg-open): open the URL above yourself\n');
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, OPEN_WAIT_MS)));
  await Promise.race([server.firstPage, waited]);
  clearTimeout(timer);
  ctx.stderr.write(
    `live view: ${server.pages > 0 ? `page connected (${by}); ${what}` : `no page connected within ${OPEN_WAIT_MS / 1000} s; ${what} anyway`}\n`,
  );
}

/** After the run: the page keeps its final state until Ctrl-C, unless --watch-exit. */
async function keepServing(ctx: CommandContext, server: LiveServer, opts: WatchOptions, what: string): Promise<void> {
  server.flush();
  if (opts.exit) return;
  ctx.stderr.write(`live view: ${what}; ${server.url} keeps its last state until Ctrl-C\n`);
  await ctx.stopSignal;
}
