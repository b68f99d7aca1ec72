import type { Writable } from 'node:stream';

/**
 * One JSON document per line, for `--json` on the server commands. This is
 * the only place events are serialised while a server runs, and only when
 * someone asked for them (pino's habit).
 */
export function ndjsonWriter(out: Writable): (doc: object) => void {
  return (doc) => {
    out.write(`${JSON.stringify(doc)}\n`);
  };
}
