import { EventEmitter, once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';

/**
 * A strict fake origin on raw `net`: it records the exact bytes each
 * connection receives, splits them into requests by the framing it sees
 * (Content-Length, or chunked), and answers with the exact bytes a test
 * chooses. Nothing of node's HTTP stack sits between the proxy and what the
 * test asserts.
 */
export interface OriginConn {
  id: number;
  socket: Socket;
  remotePort: number;
  /** Every byte received, latin1. */
  received: string;
  requests: OriginRequest[];
  closed: boolean;
  /** The proxy sent FIN. */
  ended: boolean;
}

export interface OriginRequest {
  conn: OriginConn;
  /** 1 for the first request on its connection. */
  nth: number;
  method: string;
  target: string;
  /** Raw field lines, in order: [name, value]. */
  fields: Array<[string, string]>;
  /** Exact bytes of the whole message, head and framed body. */
  raw: string;
  /** The body with any chunking removed. */
  body: string;
}

/** What the origin does with a request: bytes to write, or a behaviour. */
export type Answer = string | { silent: true } | { destroy: true } | { reset: true } | { write: string; then: 'destroy' | 'reset' | 'end' | 'hold' };
export type Responder = (req: OriginRequest) => Answer;

export const ok = (body = 'ok', extra = ''): string => `HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;

export class FakeOrigin extends EventEmitter {
  readonly conns: OriginConn[] = [];
  readonly requests: OriginRequest[] = [];
  responder: Responder;
  port = 0;
  readonly #server: Server;

  constructor(responder: Responder = (r) => ok(`conn=${r.conn.id} nth=${r.nth}`)) {
    super();
    this.responder = responder;
    this.#server = createServer((socket) => this.#accept(socket));
  }

  /** Port 0 (any) unless a test brings an origin back on a known port. */
  async listen(port = 0): Promise<this> {
    this.#server.listen(port, '127.0.0.1');
    await once(this.#server, 'listening');
    const a = this.#server.address();
    if (a === null || typeof a === 'string') throw new Error('fake origin: no TCP address');
    this.port = a.port;
    return this;
  }

  /** Resolves once `n` requests have arrived in total. */
  async waitForRequests(n: number): Promise<void> {
    while (this.requests.length < n) await once(this, 'request');
  }

  /** Resolves once `n` connections have closed. */
  async waitForClosed(n: number): Promise<void> {
    while (this.conns.filter((c) => c.closed).length < n) await once(this, 'conn-close');
  }

  get openConns(): number {
    return this.conns.filter((c) => !c.closed).length;
  }

  async close(): Promise<void> {
    for (const c of this.conns) c.socket.destroy();
    if (this.#server.listening) await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(socket: Socket): void {
    const conn: OriginConn = { id: this.conns.length + 1, socket, remotePort: socket.remotePort ?? -1, received: '', requests: [], closed: false, ended: false };
    this.conns.push(conn);
    let pending = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      conn.received += chunk;
      pending += chunk;
      for (;;) {
        const split = splitMessage(pending);
        if (split === null) break;
        pending = pending.slice(split.length);
        const req: OriginRequest = { conn, nth: conn.requests.length + 1, ...split.message };
        conn.requests.push(req);
        this.requests.push(req);
        this.emit('request', req);
        this.#answer(socket, this.responder(req));
      }
    });
    socket.on('end', () => {
      conn.ended = true;
    });
    // Resets from the proxy are part of what tests provoke; the close is what they assert.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      conn.closed = true;
      this.emit('conn-close', conn);
    });
    this.emit('conn', conn);
  }

  #answer(socket: Socket, a: Answer): void {
    if (typeof a === 'string') socket.write(a, 'latin1');
    else if ('silent' in a) return;
    else if ('destroy' in a) socket.destroy();
    else if ('reset' in a) socket.resetAndDestroy();
    else {
      socket.write(a.write, 'latin1', () => {
        if (a.then === 'destroy') socket.destroy();
        else if (a.then === 'reset') socket.resetAndDestroy();
        else if (a.then === 'end') socket.end();
      });
    }
  }
}

interface Split {
  length: number;
  message: Omit<OriginRequest, 'conn' | 'nth'>;
}

/** One whole request off the front of `buf`, or null if it is not all there yet. */
function splitMessage(buf: string): Split | null {
  const headEnd = buf.indexOf('\r\n\r\n');
  if (headEnd < 0) return null;
  const lines = buf.slice(0, headEnd).split('\r\n');
  const [method = '', target = ''] = (lines[0] ?? '').split(' ');
  const fields = lines.slice(1).map((l): [string, string] => {
    const i = l.indexOf(':');
    return [l.slice(0, i), l.slice(i + 1).trim()];
  });
  const field = (n: string) => fields.find(([k]) => k.toLowerCase() === n)?.[1];
  let pos = headEnd + 4;
  let body = '';
  if (field('transfer-encoding')?.toLowerCase() === 'chunked') {
    for (;;) {
      const eol = buf.indexOf('\r\n', pos);
      if (eol < 0) return null;
      const size = parseInt(buf.slice(pos, eol), 16);
      if (size === 0) {
        const end = buf.indexOf('\r\n\r\n', eol);
        if (end < 0) return null;
        pos = end + 4;
        break;
      }
      if (buf.length < eol + 2 + size + 2) return null;
      body += buf.slice(eol + 2, eol + 2 + size);
      pos = eol + 2 + size + 2;
    }
  } else {
    const n = Number(field('content-length') ?? 0);
    if (buf.length < pos + n) return null;
    body = buf.slice(pos, pos + n);
    pos += n;
  }
  return { length: pos, message: { method, target, fields, raw: buf.slice(0, pos), body } };
}
