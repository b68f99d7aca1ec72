import type { Writable } from 'node:stream';

/**
 * What a command may touch. Commands write only here (never console.*), so
 * tests can run `main()` in-process and read what a user would see.
 */
export interface CommandContext {
  stdout: Writable & { isTTY?: boolean; columns?: number };
  stderr: Writable & { isTTY?: boolean };
  /** Resolves when the user asks a long-running command to stop (SIGINT/SIGTERM). */
  stopSignal: Promise<NodeJS.Signals>;
  /** Working directory scenarios and results are resolved against. */
  cwd: string;
}

/**
 * The real process. Signal handlers are installed only when a command reads
 * `stopSignal` (the servers, `lab load`): a handler replaces node's default
 * exit on Ctrl-C, which is right for a server that must close cleanly and
 * wrong for `lab run`, which should simply stop.
 */
export function processContext(): CommandContext {
  let stop: Promise<NodeJS.Signals> | null = null;
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    get stopSignal() {
      stop ??= new Promise<NodeJS.Signals>((resolve) => {
        for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolve(sig));
      });
      return stop;
    },
    cwd: process.cwd(),
  };
}
