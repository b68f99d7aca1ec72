import { readChunked, readHead } from './l7-http-text.js';
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
export type Answer =
  | string
  | { silent: true }
  | { destroy: true }
  | { reset: true }
  | { write: string; then: 'destroy' | 'reset' | 'end' | 'hold' };
export type Responder = (req: OriginRequest) => Answer;

export const ok = (body = 'ok', extra = ''): string =>
  `HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;

export class FakeOrigin extends EventEmitter {
  readonly conns: OriginConn[] = [];
  readonly requests: OriginRequest[] = [];
  responder: Responder;
  /**
   * Called once per request when its head is whole, before its body is read:
   * bytes to write at once (an interim `100 Continue`), or null. The
   * responder still answers the whole request.
   */
  onHead: ((head: string, conn: OriginConn) => string | null) | null = null;
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
    const conn: OriginConn = {
      id: this.conns.length + 1,
      socket,
      remotePort: socket.remotePort ?? -1,
      received: '',
      requests: [],
      closed: false,
      ended: false,
    };
    this.conns.push(conn);
    let pending = '';
    socket.setEncoding('latin1');
    // The head of the message at the front of `pending` has been shown to onHead.
    let headSeen = false;
    socket.on('data', (chunk: string) => {
      conn.received += chunk;
      pending += chunk;
      for (;;) {
        if (!headSeen && this.onHead !== null) {
          const end = pending.indexOf('\r\n\r\n');
          if (end >= 0) {
            headSeen = true;
            const interim = this.onHead(pending.slice(0, end + 4), conn);
            if (interim !== null) socket.write(interim, 'latin1');
          }
        }
        const split = splitMessage(pending);
        if (split === null) break;
        pending = pending.slice(split.length);
        headSeen = false;
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
  const h = readHead(buf);
  if (h === null) return null;
  const [method = '', target = ''] = h.start.split(' ');
  let pos = h.bodyStart;
  let body = '';
  if (h.field('transfer-encoding')?.toLowerCase() === 'chunked') {
    const c = readChunked(buf, pos);
    if (c === null) return null;
    ({ body, end: pos } = c);
  } else {
    const n = Number(h.field('content-length') ?? 0);
    if (buf.length < pos + n) return null;
    body = buf.slice(pos, pos + n);
    pos += n;
  }
  return { length: pos, message: { method, target, fields: h.fields, raw: buf.slice(0, pos), body } };
}
