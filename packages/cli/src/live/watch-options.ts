import { LabError } from '@keepalive-lab/core';

/** The flags `--watch` brings to run, show and watch, as commander parses them. */
export interface WatchFlags {
  watch?: boolean;
  watchPort?: string;
  open?: boolean;
  watchExit?: boolean;
  speed?: string;
}

export interface WatchOptions {
  port: number;
  open: boolean;
  /** Stop serving when the run (or the replay) ends, instead of at Ctrl-C. */
  exit: boolean;
  /** Replay speed: 2 = twice as fast as it ran. */
  speed: number;
}

/** Help lines, one place for every command that takes them. */
export const WATCH_HELP = {
  watch: 'show the run live in a local page (its URL is printed; Ctrl-C stops serving it)',
  replay: 'replay the saved run in a local page, at --speed (its URL is printed; Ctrl-C stops serving it)',
  watchPort: "with --watch: the page's port on 127.0.0.1 (default 0: any free port)",
  open: 'with --watch: open the page in a browser ($BROWSER, else xdg-open) and wait for it before starting',
  watchExit: 'with --watch: stop serving the page when the run ends, instead of at Ctrl-C',
  speed: 'with --watch: replay speed, e.g. 0.5 or 4 (default 1: as it ran)',
} as const;

const usage = (flag: string, expected: string, found: string): LabError =>
  new LabError('LAB_ERR_USAGE', `${flag}: expected ${expected}, found ${JSON.stringify(found)}`, { path: flag, expected, found });

/** Checks the flags: null without --watch; a flag that needs --watch without it is refused, naming it. */
export function watchOptions(flags: WatchFlags): WatchOptions | null {
  if (!flags.watch) {
    const stray = [
      flags.watchPort !== undefined && '--watch-port',
      flags.open && '--open',
      flags.watchExit && '--watch-exit',
      flags.speed !== undefined && '--speed',
    ].find((f): f is string => typeof f === 'string');
    if (stray) throw new LabError('LAB_ERR_USAGE', `${stray} works with --watch only: add --watch`, { path: stray, expected: '--watch' });
    return null;
  }
  const portText = flags.watchPort ?? '0';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) throw usage('--watch-port', 'a port 0-65535 (0: any free port)', portText);
  const speedText = flags.speed ?? '1';
  const speed = Number(speedText);
  if (!/^\d+(\.\d+)?$/.test(speedText) || !(speed > 0) || speed > 1000)
    throw usage('--speed', 'a number > 0 and ≤ 1000, e.g. 0.5 or 4', speedText);
  return { port, open: flags.open ?? false, exit: flags.watchExit ?? false, speed };
}
