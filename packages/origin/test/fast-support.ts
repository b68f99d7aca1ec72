import { connect } from 'node:net';
import { once } from 'node:events';

/** One response as it came off the wire. */
export interface WireResponse {
  statusLine: string;
  /** Header lines as sent: [name, value], names as given, in order. */
  headers: [string, string][];
  body: Buffer;
}

export interface Conversation {
  responses: WireResponse[];
  /** Everything the server sent, as latin1. */
  raw: string;
  localPort: number;
  /** The server ended or dropped the connection before the wait ended. */
  closed: boolean;
}

/**
 * Connects, writes `bytes` (one write), and reads until `responses` whole
 * responses came, then waits `linger` ms more (to see whether the server
 * closes), or until the server closes. The socket is destroyed after.
 */
export async function converse(
  port: number,
  bytes: string | Buffer,
  { responses = 1, linger = 50, timeout = 3000 }: { responses?: number; linger?: number; timeout?: number } = {},
): Promise<Conversation> {
  const s = connect(port, '127.0.0.1');
  await once(s, 'connect');
  const localPort = s.localPort ?? 0;
  let buf = Buffer.alloc(0);
  let closed = false;
  s.on('data', (d: Buffer) => (buf = Buffer.concat([buf, d])));
  s.on('error', () => {});
  const closedP = once(s, 'close').then(() => (closed = true));
  s.write(bytes);
  const deadline = Date.now() + timeout;
  while (!closed && parseAll(buf).length < responses && Date.now() < deadline) await sleep(5);
  if (!closed) await Promise.race([closedP, sleep(linger)]);
  s.destroy();
  return { responses: parseAll(buf), raw: buf.toString('latin1'), localPort, closed };
}

/** Whole responses in `buf`, framed by Content-Length, chunked encoding, or neither (no body). */
export function parseAll(buf: Buffer): WireResponse[] {
  const out: WireResponse[] = [];
  let at = 0;
  for (;;) {
    const end = buf.indexOf('\r\n\r\n', at);
    if (end < 0) return out;
    const [statusLine = '', ...lines] = buf.subarray(at, end).toString('latin1').split('\r\n');
    const headers = lines.map((l): [string, string] => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]);
    const find = (n: string) => headers.find(([k]) => k.toLowerCase() === n)?.[1];
    let bodyStart = end + 4;
    let body: Buffer;
    const length = find('content-length');
    if (statusLine.startsWith('HTTP/1.1 100 ')) {
      at = bodyStart;
      continue;
    }
    if (length !== undefined) {
      if (buf.length < bodyStart + Number(length)) return out;
      body = buf.subarray(bodyStart, bodyStart + Number(length));
      at = bodyStart + Number(length);
    } else if (find('transfer-encoding') === 'chunked') {
      const last = buf.indexOf('0\r\n\r\n', bodyStart);
      if (last < 0) return out;
      body = buf.subarray(bodyStart, last + 5);
      at = last + 5;
    } else {
      body = Buffer.alloc(0);
      at = bodyStart;
    }
    bodyStart = at;
    out.push({ statusLine, headers, body });
  }
}

/** A response's headers with the ones that differ by nature masked: Date's value, and the port (each engine's own client). */
export function comparable(r: WireResponse, ownPort: number): [string, string][] {
  return r.headers.map(([k, v]): [string, string] => {
    if (k === 'Date') return [k, /^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(v) ? '<date>' : v];
    if (k === 'x-lab-origin-port') return [k, v === String(ownPort) ? '<own port>' : v];
    return [k, v];
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
