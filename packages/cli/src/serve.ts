import type { Endpoint, LabEvent, LabServer, Recorder } from '@keepalive-lab/core';
import type { CommandContext } from './context.js';
import { lineWriter, ndjsonWriter } from './ndjson.js';

/** How a server command shows itself: its bound address, each event, its stop. */
export interface ServePrinter<E extends LabEvent> {
  listening(bound: Endpoint): void;
  event(e: E): void;
  /** The last word; every line still pending is written before it returns (the command returns right after). */
  stopped(signal: string): void;
}

/**
 * Runs a server command: listen, print events as they come, wait for the
 * user's stop signal, close. Events are unsubscribed only after close(), so
 * the closes it causes are printed too; close() also runs after a failed
 * listen (it then has nothing to wait for).
 */
export async function serveUntilStopped<E extends LabEvent>(
  ctx: CommandContext,
  server: LabServer,
  recorder: Recorder,
  mine: (e: LabEvent) => e is E,
  print: ServePrinter<E>,
): Promise<void> {
  const unsubscribe = recorder.on((e) => {
    if (mine(e)) print.event(e);
  });
  // Asked for before listening: the handlers are in place before the listening line tells anyone to send a signal.
  const stop = ctx.stopSignal;
  let signal: string;
  try {
    print.listening(await server.listen());
    signal = await stop;
  } finally {
    await server.close();
    unsubscribe();
  }
  print.stopped(signal);
}

/** `--json`: NDJSON only, the listening line first (docs/reference.md), then the core events as they are. */
export function jsonPrinter<E extends LabEvent>(ctx: CommandContext): ServePrinter<E> {
  const lines = lineWriter(ctx.stdout);
  const write = ndjsonWriter(lines);
  return {
    listening: (bound) => {
      write({ event: 'listening', address: bound.host, port: bound.port });
      lines.flush();
    },
    event: write,
    stopped: () => lines.flush(),
  };
}
