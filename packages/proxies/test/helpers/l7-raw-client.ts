import { readChunked, readHead } from './l7-http-text.js';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';

/** A response as the client's bytes show it. */
export interface RawResponse {
  status: number;
  /** Raw field lines, in order. */
  fields: Array<[string, string]>;
  body: string;
  /** Exact bytes of the message. */
  raw: string;
  field(name: string): string | undefined;
}

/**
 * A raw HTTP client: writes exact bytes, reads responses by their framing
 * (Content-Length, chunked, or until close), and says whether the proxy
 * closed the connection.
 */
export class RawClient {
  readonly socket: Socket;
  /** Everything received, latin1. */
  received = '';
  /** The proxy sent FIN or the socket closed. */
  ended = false;
  closed = false;
  localPort = 0;
  #pending = '';
  #waiters: Array<() => void> = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      this.received += d;
      this.#pending += d;
      this.#wake();
    });
    socket.on('end', () => {
      this.ended = true;
      this.#wake();
    });
    // A reset from the proxy is a fact tests assert through `closed`.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      this.ended = true;
      this.#wake();
    });
  }

  static async connect(port: number): Promise<RawClient> {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const c = new RawClient(socket);
    c.localPort = socket.localPort ?? 0;
    return c;
  }

  write(bytes: string): void {
    this.socket.write(bytes, 'latin1');
  }

  /**
   * The next whole response (a 1xx is one too); rejects if the connection
   * ends before one arrives, or, with `within`, if none is whole after that
   * many ms (a test of "the answer must arrive" fails fast, not at testTimeout).
   */
  async response(opts: { head?: boolean; within?: number } = {}): Promise<RawResponse> {
    const deadline = opts.within === undefined ? null : Date.now() + opts.within;
    for (;;) {
      const r = parseResponse(this.#pending, this.ended, opts.head === true);
      if (r !== null) {
        this.#pending = this.#pending.slice(r.raw.length);
        return r;
      }
      if (this.ended) throw new Error(`connection ended before a whole response; got ${JSON.stringify(this.#pending)}`);
      if (deadline !== null && Date.now() >= deadline)
        throw new Error(`no whole response within ${opts.within} ms; got ${JSON.stringify(this.#pending)}`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        if (deadline !== null) setTimeout(resolve, Math.max(0, deadline - Date.now())).unref();
      });
    }
  }

  /** Bytes received so far that are not part of a returned response. */
  get unread(): string {
    return this.#pending;
  }

  /** Resolves when the proxy has closed (FIN or reset). */
  async waitClosed(): Promise<void> {
    while (!this.ended) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  /** Resolves when some bytes or the end arrive. */
  async waitData(): Promise<void> {
    if (this.#pending !== '' || this.ended) return;
    await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  destroy(): void {
    this.socket.destroy();
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }
}

function parseResponse(buf: string, ended: boolean, head: boolean): RawResponse | null {
  const h = readHead(buf);
  if (h === null) return null;
  const status = Number(h.start.split(' ')[1]);
  const { fields, field } = h;
  let pos = h.bodyStart;
  let body = '';
  if (head || status === 204 || status === 304 || (status >= 100 && status < 200)) {
    // no body
  } else if (field('transfer-encoding')?.toLowerCase() === 'chunked') {
    const c = readChunked(buf, pos);
    if (c === null) return null;
    ({ body, end: pos } = c);
  } else if (field('content-length') !== undefined) {
    const n = Number(field('content-length'));
    if (buf.length < pos + n) return null;
    body = buf.slice(pos, pos + n);
    pos += n;
  } else {
    if (!ended) return null;
    body = buf.slice(pos);
    pos = buf.length;
  }
  return { status, fields, body, raw: buf.slice(0, pos), field };
}
