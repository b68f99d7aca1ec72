import { PassThrough } from 'node:stream';
import type { CommandContext } from '../src/context.js';

export interface FakeContext {
  ctx: CommandContext;
  out: () => string;
  err: () => string;
  /** Resolves with the next complete stdout line (after those already taken) that matches `pred`. */
  nextLine: (pred?: (line: string) => boolean) => Promise<string>;
  /** What SIGINT (or another signal) would do to a long-running command. */
  stop: (signal?: NodeJS.Signals) => void;
}

/** A CommandContext on in-memory streams, so `main()` runs in-process and is read like a terminal. */
export function fakeContext(options: { cwd?: string; tty?: boolean } = {}): FakeContext {
  const stdout = Object.assign(new PassThrough(), { isTTY: options.tty ?? false, columns: 100 });
  const stderr = Object.assign(new PassThrough(), { isTTY: options.tty ?? false });
  let out = '';
  let err = '';
  let cursor = 0; // lines before this index were handed out or skipped
  let wake: (() => void) | null = null;
  stdout.on('data', (d: Buffer) => {
    out += d.toString();
    wake?.();
  });
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  let stop: (s: NodeJS.Signals) => void = () => undefined;
  const stopSignal = new Promise<NodeJS.Signals>((resolve) => (stop = resolve));

  async function nextLine(pred: (line: string) => boolean = () => true): Promise<string> {
    for (;;) {
      const lines = out.split('\n').slice(0, -1);
      while (cursor < lines.length) {
        const line = lines[cursor++] ?? '';
        if (pred(line)) return line;
      }
      await new Promise<void>((resolve) => (wake = resolve));
    }
  }

  return {
    ctx: { stdout, stderr, stopSignal, cwd: options.cwd ?? process.cwd() },
    out: () => out,
    err: () => err,
    nextLine,
    stop: (signal = 'SIGINT') => stop(signal),
  };
}
