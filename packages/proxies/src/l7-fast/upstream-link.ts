import type { Socket } from 'node:net';
import { UNASKED_SWITCH } from '../l7-kit/hop-by-hop.js';
import { HTTPParser, strictParser, type HttpParser, type OnHeadersComplete, type ParseError } from './llhttp.js';

/** What a link tells the exchange it currently carries. */
export interface LinkOwner {
  onResponseHead: OnHeadersComplete;
  onResponseBody(chunk: Buffer): void;
  /** The response is whole (inside execute). */
  onResponseComplete(): void;
  /** After the execute that completed the response: give the socket back (or drop it). */
  releaseUpstream(poisoned: boolean): void;
  /** The socket failed, closed or sent bad bytes before the response was whole. */
  onUpstreamFail(code: string): void;
  onUpstreamConnect(): void;
  onUpstreamDrain(): void;
  /** After each execute: what it produced for the client goes out in one write. */
  flushOut(): void;
}

/**
 * One pooled upstream socket's HTTP side: its strict response parser and
 * listeners, made once per socket (never per request) and pointed at the
 * exchange it carries (`owner`). The pool (l7-kit/upstream-pool.ts) owns the
 * socket's life and close reasons; this only reads responses.
 *
 * Response desync guard: bytes that start a message while no exchange is
 * waiting for one (a second response, or junk after a complete one) poison
 * the socket: it is destroyed, never handed to the next request.
 *
 * Interim responses (1xx but 101) are messages of their own to llhttp: the
 * exchange gets their head (onResponseHead, to forward or drop), and their
 * end completes nothing; the final response follows on the same exchange.
 * A 101 poisons the socket: we never ask for an upgrade (UNASKED_SWITCH).
 */
export class UpstreamLink {
  readonly socket: Socket;
  readonly #parser: HttpParser;
  owner: LinkOwner | null = null;
  /** Set by onResponseComplete inside execute; acted on after it. */
  #completed: LinkOwner | null = null;
  #poisoned = false;
  /** Why the socket is poisoned, as the exchange's failure code. */
  #poisonCode = 'HPE_UNEXPECTED_RESPONSE';
  /** The message being parsed is an interim (1xx) response: its end is not the response's. */
  #interim = false;
  /** Response fields that came early through kOnHeaders (more than 32). */
  #fields: string[] | null = null;

  constructor(socket: Socket, maxHeaderSize: number) {
    this.socket = socket;
    const p = strictParser('response', maxHeaderSize);
    this.#parser = p;
    p[HTTPParser.kOnMessageBegin] = (): void => {
      if (this.owner === null || this.#completed !== null) this.#poisoned = true;
    };
    p[HTTPParser.kOnHeaders] = (fields: string[]): void => {
      if (this.#fields === null) this.#fields = fields;
      else for (const f of fields) this.#fields.push(f);
    };
    p[HTTPParser.kOnHeadersComplete] = ((major, minor, fields, method, url, status, message, upgrade, keepAlive) => {
      const owner = this.owner;
      if (owner === null || this.#poisoned) return 0;
      let all = fields;
      if (all === undefined) {
        all = this.#fields ?? [];
        this.#fields = null;
      }
      if (status === 101) {
        this.#poisoned = true;
        this.#poisonCode = UNASKED_SWITCH;
        return 0;
      }
      this.#interim = status !== undefined && status >= 100 && status < 200;
      return owner.onResponseHead(major, minor, all, method, url, status, message, upgrade, keepAlive);
    }) satisfies OnHeadersComplete;
    p[HTTPParser.kOnBody] = (chunk: Buffer): void => {
      if (this.#completed === null && !this.#poisoned) this.owner?.onResponseBody(chunk);
    };
    p[HTTPParser.kOnMessageComplete] = (): void => {
      const owner = this.owner;
      if (owner === null || this.#completed !== null || this.#poisoned) return;
      if (this.#interim) {
        this.#interim = false;
        return;
      }
      this.#completed = owner;
      owner.onResponseComplete();
    };
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
    socket.on('drain', this.#onDrain);
    socket.on('connect', this.#onConnect);
  }

  readonly #onData = (data: Buffer): void => {
    const owner = this.owner;
    // Idle: the pool's own idle-data listener drops the socket.
    if (owner === null) return;
    const r = this.#parser.execute(data);
    this.#after(r instanceof Error ? (r as ParseError).code : null);
  };

  /** The one place an execute's outcome is acted on, outside llhttp's callbacks. */
  #after(error: string | null): void {
    const done = this.#completed;
    if (done !== null) {
      this.#completed = null;
      this.owner = null;
      done.releaseUpstream(this.#poisoned || error !== null);
    }
    const owner = this.owner;
    if (owner === null) return;
    if (error !== null) owner.onUpstreamFail(error);
    else if (this.#poisoned) owner.onUpstreamFail(this.#poisonCode);
    else owner.flushOut();
  }

  /** A FIN ends a response delimited by close; any other response is cut short. */
  readonly #onEnd = (): void => {
    if (this.owner === null) return;
    const r = this.#parser.finish();
    this.#after(r instanceof Error ? (r as ParseError).code : null);
    this.owner?.onUpstreamFail('ECONNRESET');
  };

  readonly #onError = (err: NodeJS.ErrnoException): void => {
    this.owner?.onUpstreamFail(err.code ?? 'upstream-error');
  };

  readonly #onClose = (): void => {
    // node's client calls a close before any response "socket hang up", ECONNRESET.
    this.owner?.onUpstreamFail('ECONNRESET');
    this.owner = null;
    const p = this.#parser;
    // Not from inside one of its own callbacks (node's freeParser does the same).
    setImmediate(() => p.close());
  };

  readonly #onDrain = (): void => {
    this.owner?.onUpstreamDrain();
  };

  readonly #onConnect = (): void => {
    this.owner?.onUpstreamConnect();
  };
}
