import type { Writable } from 'node:stream';

/**
 * Lines for a server command's stdout, coalesced: the lines printed in one
 * turn of the event loop leave in one write at the next setImmediate, in
 * order. process.stdout is synchronous on pipes, files and terminals, so a
 * line per request was a write(2) per request: profiled under wrk, a
 * quarter of `lab origin`'s CPU. `flush()` writes what is pending at once
 * (the listening line, the last line before the command returns).
 */
export interface LineWriter {
  line(text: string): void;
  flush(): void;
}

export function lineWriter(out: Writable): LineWriter {
  let pending = '';
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (pending === '') return;
    const text = pending;
    pending = '';
    out.write(text);
  };
  return {
    line(text) {
      pending += `${text}\n`;
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
  };
}

/**
 * One JSON document per line, for `--json` on the server commands. This is
 * the only place events are serialised while a server runs, and only when
 * someone asked for them (pino's habit).
 */
export function ndjsonWriter(lines: LineWriter): (doc: object) => void {
  return (doc) => lines.line(JSON.stringify(doc));
}
