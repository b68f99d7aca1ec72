import type { Socket } from 'node:net';

export interface RawResponse {
  statusLine: string;
  /** Lower-cased names. */
  headers: Map<string, string>;
  body: Buffer;
}

/**
 * Writes one request on a raw socket and reads exactly one response (framed
 * by Content-Length), leaving the socket open and silent afterwards: a
 * client that neither reuses nor closes, so only the server can end it.
 */
export function exchange(socket: Socket, head: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [statusLine = '', ...lines] = buf.subarray(0, end).toString('latin1').split('\r\n');
      const headers = new Map(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      const length = Number(headers.get('content-length') ?? 0);
      if (buf.length < end + 4 + length) return;
      cleanup();
      resolve({ statusLine, headers, body: buf.subarray(end + 4, end + 4 + length) });
    };
    const onClose = () => {
      cleanup();
      reject(new Error(`socket closed after ${buf.length} bytes, before a whole response`));
    };
    const cleanup = () => {
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', reject);
    };
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.on('error', reject);
    socket.write(head);
  });
}

export const GET = (id: string): string => `GET / HTTP/1.1\r\nHost: lab\r\nx-lab-request-id: ${id}\r\n\r\n`;
