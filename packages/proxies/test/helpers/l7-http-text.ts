/**
 * The tests' own reading of HTTP/1.1 text (latin1 strings), shared by the
 * fake origin (requests) and the raw client (responses). Deliberately
 * simple and separate from the proxy's parser: it checks the bytes the
 * proxy wrote, so it must not share the proxy's assumptions.
 */
export type Fields = [string, string][];

export interface Head {
  /** The start line. */
  start: string;
  fields: Fields;
  field: (name: string) => string | undefined;
  /** Index of the first body byte. */
  bodyStart: number;
}

export function readHead(buf: string): Head | null {
  const headEnd = buf.indexOf('\r\n\r\n');
  if (headEnd < 0) return null;
  const lines = buf.slice(0, headEnd).split('\r\n');
  const fields = lines.slice(1).map((l): [string, string] => {
    const i = l.indexOf(':');
    return [l.slice(0, i), l.slice(i + 1).trim()];
  });
  const field = (n: string) => fields.find(([k]) => k.toLowerCase() === n.toLowerCase())?.[1];
  return { start: lines[0] ?? '', fields, field, bodyStart: headEnd + 4 };
}

/** A chunked body from `pos`: its text and where the message ends, or null if not all there yet. */
export function readChunked(buf: string, pos: number): { body: string; end: number } | null {
  let body = '';
  for (;;) {
    const eol = buf.indexOf('\r\n', pos);
    if (eol < 0) return null;
    const size = parseInt(buf.slice(pos, eol), 16);
    if (size === 0) {
      const end = buf.indexOf('\r\n\r\n', eol);
      return end < 0 ? null : { body, end: end + 4 };
    }
    if (buf.length < eol + 2 + size + 2) return null;
    body += buf.slice(eol + 2, eol + 2 + size);
    pos = eol + 2 + size + 2;
  }
}
