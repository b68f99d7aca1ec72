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

export function processContext(): CommandContext {
  const stopSignal = new Promise<NodeJS.Signals>((resolve) => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolve(sig));
  });
  return { stdout: process.stdout, stderr: process.stderr, stopSignal, cwd: process.cwd() };
}
