import type { Socket } from 'node:net';
import { UNASKED_SWITCH } from '../l7-kit/hop-by-hop.js';
import { consumeSocket, strictParser, type HttpParser, type OnHeadersComplete, type ParseError } from '@keepalive-lab/core';
import { HTTPParser, LLHTTP } from './binding.js';

/** The UpstreamLink a socket or parser belongs to. */
const kLink = Symbol('UpstreamLink');
type Owned = { [kLink]: UpstreamLink };

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
 *
 * The parser reads the socket in C++ (core's llhttp.ts, consumeSocket), so it also
 * sees what arrives while the socket is idle in the pool: those bytes are
 * reported to the pool (`onIdleBytes`), which drops the socket.
 */
export class UpstreamLink {
  readonly socket: Socket;
  readonly #parser: HttpParser;
  #owner: LinkOwner | null = null;
  /** Set by onResponseComplete inside execute; acted on after it. */
  #completed: LinkOwner | null = null;
  #poisoned = false;
  /** Why the socket is poisoned, as the exchange's failure code. */
  #poisonCode = 'HPE_UNEXPECTED_RESPONSE';
  /** The message being parsed is an interim (1xx) response: its end is not the response's. */
  #interim = false;
  /** Response fields that came early through kOnHeaders (more than 32). */
  #fields: string[] | null = null;
  readonly #consumed: boolean;
  readonly #onIdleBytes: () => void;

  constructor(socket: Socket, maxHeaderSize: number, onIdleBytes: () => void) {
    this.socket = socket;
    this.#onIdleBytes = onIdleBytes;
    const p = strictParser(LLHTTP, 'response', maxHeaderSize);
    this.#parser = p;
    // Shared callbacks, as FastClient's (client-conn.ts says why): each finds its link through kLink.
    (p as unknown as Owned)[kLink] = this;
    (socket as unknown as Owned)[kLink] = this;
    // Armed only while a message start would be out of place (#guardStarts): llhttp skips an empty slot.
    p[HTTPParser.kOnMessageBegin] = UpstreamLink.#onMessageBegin;
    p[HTTPParser.kOnHeaders] = UpstreamLink.#onHeaders;
    p[HTTPParser.kOnHeadersComplete] = UpstreamLink.#onHeadersComplete;
    p[HTTPParser.kOnBody] = UpstreamLink.#onBody;
    p[HTTPParser.kOnMessageComplete] = UpstreamLink.#onMessageComplete;
    p[HTTPParser.kOnExecute] = UpstreamLink.#onExecute;
    // 'data' only if the handle cannot be consumed; the listener keeps the socket flowing, so 'end' is emitted.
    this.#consumed = consumeSocket(p, socket);
    socket.on('data', UpstreamLink.#onData);
    socket.on('end', UpstreamLink.#onEnd);
    socket.on('error', UpstreamLink.#onError);
    socket.on('close', UpstreamLink.#onClose);
    socket.on('drain', UpstreamLink.#onDrain);
    socket.on('connect', UpstreamLink.#onConnect);
  }

  static #of(o: unknown): UpstreamLink {
    return (o as Owned)[kLink];
  }

  /** The exchange this socket carries now. */
  get owner(): LinkOwner | null {
    return this.#owner;
  }

  /** An exchange takes the socket: a response may start now. */
  attach(owner: LinkOwner): void {
    this.#owner = owner;
    this.#parser[HTTPParser.kOnMessageBegin] = undefined;
  }

  /** Nothing waits for a response: any message start poisons the socket. */
  detach(): void {
    this.#owner = null;
    this.#guardStarts();
  }

  #guardStarts(): void {
    this.#parser[HTTPParser.kOnMessageBegin] = UpstreamLink.#onMessageBegin;
  }

  static #onMessageBegin(this: HttpParser): void {
    const l = UpstreamLink.#of(this);
    if (l.owner === null || l.#completed !== null) l.#poisoned = true;
  }

  static #onHeaders(this: HttpParser, fields: string[]): void {
    const l = UpstreamLink.#of(this);
    if (l.#fields === null) l.#fields = fields;
    else for (const f of fields) l.#fields.push(f);
  }

  static #onHeadersComplete(
    this: HttpParser,
    major: number,
    minor: number,
    fields: string[] | undefined,
    method: number | undefined,
    url: string | undefined,
    status: number | undefined,
    message: string | undefined,
    upgrade: boolean,
    keepAlive: boolean,
  ): number {
    const l = UpstreamLink.#of(this);
    const owner = l.owner;
    if (owner === null || l.#poisoned) return 0;
    let all = fields;
    if (all === undefined) {
      all = l.#fields ?? [];
      l.#fields = null;
    }
    if (status === 101) {
      l.#poisoned = true;
      l.#poisonCode = UNASKED_SWITCH;
      return 0;
    }
    l.#interim = status !== undefined && status >= 100 && status < 200;
    return owner.onResponseHead(major, minor, all, method, url, status, message, upgrade, keepAlive);
  }

  static #onBody(this: HttpParser, chunk: Buffer): void {
    const l = UpstreamLink.#of(this);
    if (l.#completed === null && !l.#poisoned) l.owner?.onResponseBody(chunk);
  }

  static #onMessageComplete(this: HttpParser): void {
    const l = UpstreamLink.#of(this);
    const owner = l.owner;
    if (owner === null || l.#completed !== null || l.#poisoned) return;
    if (l.#interim) {
      l.#interim = false;
      return;
    }
    l.#completed = owner;
    l.#guardStarts();
    owner.onResponseComplete();
  }

  /** A read of a socket that could not be consumed (core's llhttp.ts). */
  static #onData(this: Socket, data: Buffer): void {
    const l = UpstreamLink.#of(this);
    if (l.owner === null) {
      l.#onIdleBytes();
      return;
    }
    const r = l.#parser.execute(data);
    l.#after(r instanceof Error ? (r as ParseError).code : null);
  }

  /** A consumed socket's read, parsed: bytes while no exchange waits are reported to the pool. */
  static #onExecute(this: HttpParser, r: number | ParseError): void {
    const l = UpstreamLink.#of(this);
    if (l.owner === null && l.#completed === null) {
      l.#onIdleBytes();
      return;
    }
    l.#after(r instanceof Error ? (r as ParseError).code : null);
  }

  /** The one place an execute's outcome is acted on, outside llhttp's callbacks. */
  #after(error: string | null): void {
    const done = this.#completed;
    if (done !== null) {
      this.#completed = null;
      this.#owner = null;
      done.releaseUpstream(this.#poisoned || error !== null);
    }
    const owner = this.owner;
    if (owner === null) return;
    if (error !== null) owner.onUpstreamFail(error);
    else if (this.#poisoned) owner.onUpstreamFail(this.#poisonCode);
    else owner.flushOut();
  }

  /** A FIN ends a response delimited by close; any other response is cut short. */
  static #onEnd(this: Socket): void {
    const l = UpstreamLink.#of(this);
    if (l.owner === null) return;
    const r = l.#parser.finish();
    l.#after(r instanceof Error ? (r as ParseError).code : null);
    l.owner?.onUpstreamFail('ECONNRESET');
  }

  static #onError(this: Socket, err: NodeJS.ErrnoException): void {
    UpstreamLink.#of(this).owner?.onUpstreamFail(err.code ?? 'upstream-error');
  }

  static #onClose(this: Socket): void {
    const l = UpstreamLink.#of(this);
    // node's client calls a close before any response "socket hang up", ECONNRESET.
    l.owner?.onUpstreamFail('ECONNRESET');
    l.detach();
    const p = l.#parser;
    if (l.#consumed) p.unconsume();
    // Not from inside one of its own callbacks (node's freeParser does the same).
    setImmediate(closeParser, p);
  }

  static #onDrain(this: Socket): void {
    UpstreamLink.#of(this).owner?.onUpstreamDrain();
  }

  static #onConnect(this: Socket): void {
    UpstreamLink.#of(this).owner?.onUpstreamConnect();
  }
}

function closeParser(p: HttpParser): void {
  p.close();
}
