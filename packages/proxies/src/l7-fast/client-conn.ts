import type { Socket } from 'node:net';
import { closeReason, type CloseReason } from '@keepalive-lab/core';
import { clientHearsAnswer, rawErrorResponse, type ProxyStatus } from '../l7-kit/errors-responses.js';
import type { FastContext } from './context.js';
import type { FastExchange } from './exchange.js';
import { admitRequest } from './request-intake.js';
import {
  consumeSocket,
  releaseSocket,
  pauseReading,
  resumeReading,
  strictParser,
  type HttpParser,
  type ParseError,
} from '@keepalive-lab/core';
import { HTTPParser, LLHTTP, METHODS } from './binding.js';

/** ms a rejected connection may drain before it is destroyed (lets the client read the answer). */
const REJECT_LINGER_MS = 500;
/** node's HTTP_SERVER_KEEP_ALIVE_TIMEOUT_BUFFER: an idle client is closed this long after the advertised timeout. */
const KEEP_ALIVE_BUFFER_MS = 1000;

/**
 * ms a connection idles before its parser is given back (its C++ half is
 * about 3 KB: most of what an idle keep-alive connection costs beyond the
 * socket). The next request's first read is parsed by a new one.
 */
const PARK_AFTER_MS = 1000;

/** The FastClient a socket or parser belongs to: the listeners are shared by all connections (see the class comment). */
const kClient = Symbol('FastClient');
type Owned = { [kClient]: FastClient };

/**
 * One client connection: a strict llhttp request parser reading the socket
 * (in C++: core's llhttp.ts, consumeSocket), and the answers in request order
 * (pipelining).
 *
 * Order and framing: every parsed head becomes a FastExchange at the end of
 * `queue`; only `queue[0]` writes to the socket, later ones buffer. Upstream
 * work starts after the execute that parsed the head returns, so bad bytes
 * right behind a head stop that request before a byte of it goes upstream.
 * After a request that ends the connection (Connection: close, HTTP/1.0,
 * a reject) no further request is read: nothing pipelined behind it is
 * forwarded.
 *
 * Deadlines as node's server has them, checked by the proxy's sweep (one
 * interval for all connections; a timer per request was a visible share of
 * the CPU): a head awaited for headerTimeout is answered 408 (the parser
 * knows whether a head is under way and since when, as node's own check
 * reads it); silence since `activeAt` (the last read or write) counts
 * against clientTimeout while busy, clientKeepAliveTimeout + 1000 ms once
 * the last answer is out.
 *
 * Listeners and parser callbacks are static functions shared by every
 * connection, finding theirs through `kClient` on the socket or parser (as
 * node's own parser callbacks find theirs): no closure per connection. Under
 * tsx (esbuild keepNames) each named closure also gets its own `name`
 * property, about 300 bytes and 0.3 µs apiece.
 */
export class FastClient {
  readonly id: number;
  readonly socket: Socket;
  readonly port: number | null;
  readonly ip: string;
  readonly #ctx: FastContext;
  /** null while parked (idle, see PARK_AFTER_MS). */
  #parser: HttpParser | null;
  readonly #queue: FastExchange[] = [];
  /** The request whose body is being read (null for a request without one). */
  #parsing: FastExchange | null = null;
  /** Heads parsed in the current execute; started after it. */
  readonly #started: FastExchange[] = [];
  #fields: string[] | null = null;
  #url = '';
  /** ms timestamp of the accept: the first head is awaited from then. */
  readonly #acceptedAt: number;
  /** A head has been parsed: later heads are timed by the parser. */
  #headSeen = false;
  /** ms timestamp of the last read or write: silence is measured from it. */
  activeAt: number;
  lastTarget: number | null = null;
  reason: CloseReason | null = null;
  /** Read no further requests. */
  #stopped = false;
  /** End the connection once the last answer is out. */
  ending = false;
  #pausedBy: FastExchange | null = null;
  /** The last answer is out and no head has come since: the keep-alive deadline applies. */
  #idle = false;
  #sawEnd = false;
  #errorCode: string | null = null;
  /** The parser reads the socket in C++ now (core's llhttp.ts, consumeSocket). */
  #consumed = false;
  /** The socket's handle can be consumed (it was at accept). */
  readonly #consumable: boolean;

  constructor(ctx: FastContext, id: number, socket: Socket) {
    this.#ctx = ctx;
    this.id = id;
    this.socket = socket;
    this.port = socket.remotePort ?? null;
    this.ip = socket.remoteAddress ?? '';
    this.#acceptedAt = Date.now();
    this.activeAt = this.#acceptedAt;
    (socket as unknown as Owned)[kClient] = this;
    const p = this.#newParser();
    this.#parser = p;
    // Reads go to the parser in C++ (core's llhttp.ts); to 'data' if the handle cannot be consumed, or while parked.
    // The listener stays either way: a flowing socket is what emits 'end'.
    this.#consumed = consumeSocket(p, socket);
    this.#consumable = this.#consumed;
    socket.on('data', FastClient.#onData);
    socket.on('drain', FastClient.#onDrain);
    socket.on('end', FastClient.#onEnd);
    socket.on('error', FastClient.#onError);
    socket.on('close', FastClient.#onClose);
  }

  static #of(o: unknown): FastClient {
    return (o as Owned)[kClient];
  }

  #newParser(): HttpParser {
    const p = strictParser(LLHTTP, 'request', this.#ctx.options.maxHeaderSize);
    (p as unknown as Owned)[kClient] = this;
    p[HTTPParser.kOnHeaders] = FastClient.#onHeaders;
    p[HTTPParser.kOnHeadersComplete] = FastClient.#onHeadersComplete;
    p[HTTPParser.kOnBody] = FastClient.#onBody;
    // kOnMessageComplete is set only while a body is read (#headersComplete): a bodiless request needs no call.
    p[HTTPParser.kOnExecute] = FastClient.#onExecute;
    return p;
  }

  /** Idle long enough: the parser goes (between messages it holds nothing); reads come to 'data' until the next one. */
  #park(): void {
    const p = this.#parser;
    if (p === null || !this.#consumed) return;
    this.#parser = null;
    this.#consumed = false;
    releaseSocket(p, this.socket);
    setImmediate(closeParser, p);
  }

  /** The answer being written now. */
  get head(): FastExchange | undefined {
    return this.#queue[0];
  }

  get inFlight(): number {
    return this.#queue.length;
  }

  write(b: string | Buffer): boolean {
    const s = this.socket;
    if (s.destroyed) return true;
    this.activeAt = Date.now();
    return typeof b === 'string' ? s.write(b, 'latin1') : s.write(b);
  }

  static #onData(this: Socket, data: Buffer): void {
    const c = FastClient.#of(this);
    if (c.#stopped && c.#parsing === null) return; // closing: what follows is never read
    c.activeAt = Date.now();
    // Parked: a new parser takes this read here, and the socket's next ones in C++.
    const p = c.#parser ?? (c.#parser = c.#newParser());
    c.#executed(p.execute(data));
    if (c.#consumable && !c.#consumed && c.#parser === p) c.#consumed = consumeSocket(p, this);
  }

  /** After each read of a consumed socket is parsed: what execute returned. */
  static #onExecute(this: HttpParser, r: number | ParseError): void {
    const c = FastClient.#of(this);
    c.activeAt = Date.now();
    c.#executed(r);
  }

  #executed(r: number | ParseError): void {
    // Bytes behind a request that ends the connection, read whole (llhttp refuses any after a `close` one:
    // HPE_CLOSED_CONNECTION), are never read: that request keeps its answer, then the connection closes.
    if (r instanceof Error && !(this.#stopped && this.#parsing === null))
      this.#refuse((r as ParseError).code === 'HPE_HEADER_OVERFLOW' ? 431 : 400, (r as ParseError).code);
    const started = this.#started;
    for (let i = 0; i < started.length; i++) {
      const ex = started[i] as FastExchange;
      if (!ex.settled) ex.start();
    }
    started.length = 0;
  }

  static #onHeaders(this: HttpParser, fields: string[], url: string): void {
    const c = FastClient.#of(this);
    if (c.#fields === null) c.#fields = fields;
    else for (const f of fields) c.#fields.push(f);
    c.#url += url;
  }

  static #onHeadersComplete(
    this: HttpParser,
    major: number,
    minor: number,
    fields: string[] | undefined,
    methodIndex: number | undefined,
    url: string | undefined,
    _status: number | undefined,
    _message: string | undefined,
    upgrade: boolean,
    keepAlive: boolean,
  ): number {
    return FastClient.#of(this).#headersComplete(major, minor, fields, methodIndex, url, upgrade, keepAlive);
  }

  #headersComplete(
    major: number,
    minor: number,
    fields: string[] | undefined,
    methodIndex: number | undefined,
    url: string | undefined,
    upgrade: boolean,
    keepAlive: boolean,
  ): number {
    this.#headSeen = true;
    let raw = fields;
    if (raw === undefined) {
      raw = this.#fields ?? [];
      this.#fields = null;
    }
    let target = url;
    if (target === undefined) {
      target = this.#url;
      this.#url = '';
    }
    if (this.#stopped) return 0; // behind a request that ends the connection: read, never forwarded
    const ctx = this.#ctx;
    this.#idle = false;
    const ex = admitRequest(ctx, this, major, minor, raw, target, METHODS[methodIndex ?? -1] ?? '', upgrade, keepAlive);
    if (ex === null) return 0;
    if (!ex.keepAlive) this.#stopped = true;
    if (ex.hasBody) {
      this.#parsing = ex;
      (this.#parser as HttpParser)[HTTPParser.kOnMessageComplete] = FastClient.#onMessageComplete;
    }
    if (!ex.settled) this.#started.push(ex);
    return 0;
  }

  /** Puts an exchange in line for its answer. */
  enqueue(ex: FastExchange): void {
    this.#queue.push(ex);
  }

  static #onBody(this: HttpParser, chunk: Buffer): void {
    FastClient.#of(this).#parsing?.requestBody(chunk);
  }

  static #onMessageComplete(this: HttpParser): void {
    this[HTTPParser.kOnMessageComplete] = undefined;
    const c = FastClient.#of(this);
    const ex = c.#parsing;
    c.#parsing = null;
    ex?.requestComplete();
  }

  /**
   * The parser refused the bytes, or the head timed out. Answered on the raw
   * socket when nothing is in flight; inside a streamed body, by that
   * exchange if its answer has not started; otherwise the connection is
   * destroyed (our bytes would land inside an answer under way). A client
   * that is gone is not answered at all (clientHearsAnswer, as l7 decides);
   * its FIN mid-request never gets here (#onEnd: the parser is not finished).
   */
  #refuse(status: ProxyStatus, why: string): void {
    const ex = this.#parsing;
    this.#stopped = true;
    this.#parsing = null;
    if (this.reason === 'connection-close' && ex === null) return; // already answered and closing
    if (!clientHearsAnswer(this.socket, why)) {
      // Nobody to read it (l7-kit/errors-responses.ts): no answer, no reject; 'close' records the client's reason.
      this.socket.destroy();
      return;
    }
    if (this.#queue.length === 0) {
      this.#ctx.recordReject(this, null, status, why);
      this.reason ??= 'connection-close';
      this.socket.end(rawErrorResponse(status));
      setTimeout(() => this.socket.destroy(), REJECT_LINGER_MS).unref();
      return;
    }
    if (this.#queue.length === 1 && ex !== null && this.#queue[0] === ex && ex.failFromClient(status, why)) return;
    this.#ctx.recordReject(this, null, status, why);
    this.cut('connection-close');
  }

  /** The proxy's sweep, every few hundred ms: a late head is answered 408; a connection silent too long is destroyed. */
  checkDeadlines(now: number): void {
    const o = this.#ctx.options;
    if (!this.#stopped && this.#headAwaitedMs(now) >= o.headerTimeout) {
      this.#refuse(408, 'ERR_HTTP_REQUEST_TIMEOUT');
      return;
    }
    // node's keepAliveTimeout 0 leaves an idle connection to server.timeout; so does this.
    const limit = this.#idle && o.clientKeepAliveTimeout > 0 ? o.clientKeepAliveTimeout + KEEP_ALIVE_BUFFER_MS : o.clientTimeout;
    if (limit > 0 && now - this.activeAt >= limit && !this.socket.destroyed) {
      if (this.#queue.length === 0) this.reason ??= 'idle-timeout';
      this.socket.destroy();
      return;
    }
    // Idle between messages (no head begun, no body under way): nothing of the parser's state is needed.
    const p = this.#parser;
    if (this.#idle && p !== null && this.#parsing === null && now - this.activeAt >= PARK_AFTER_MS && p.headersCompleted()) this.#park();
  }

  /** How long the head being read has been awaited; -1 when none is (between requests). */
  #headAwaitedMs(now: number): number {
    if (!this.#headSeen) return now - this.#acceptedAt;
    // The parser times each message from its first byte (what node's connectionsCheckingInterval reads).
    const p = this.#parser;
    return p === null || p.headersCompleted() ? -1 : p.duration();
  }

  /** Answers are out in order; called when the first one is done. */
  advance(): void {
    const q = this.#queue;
    while (q.length > 0) {
      const ex = q[0] as FastExchange;
      if (!ex.answered) return;
      q.shift();
      ex.left();
      if (ex.closeClient) {
        this.#end('connection-close');
        return;
      }
      const next = q[0];
      if (next === undefined) break;
      next.becomeHead();
    }
    if (this.ending || (this.#stopped && this.#parsing === null)) {
      this.#end(this.reason ?? 'connection-close');
      return;
    }
    this.#idle = true;
  }

  /** Ends the connection after what is written; destroyed if the client does not close its side. */
  #end(reason: CloseReason): void {
    this.reason ??= reason;
    this.#stopped = true;
    if (this.socket.writableEnded) return;
    this.socket.end();
    setTimeout(() => this.socket.destroy(), REJECT_LINGER_MS).unref();
  }

  /** The response cannot be finished: the client must not see a clean end. */
  cut(reason: CloseReason): void {
    this.reason ??= reason;
    this.#stopped = true;
    this.socket.destroy();
  }

  /** A request ends the connection: nothing behind it is read. */
  stopReading(reason: CloseReason): void {
    this.#stopped = true;
    this.#parsing = null;
    this.reason ??= reason;
  }

  /** At close(): idle now, busy after the last answer. */
  endWhenIdle(): void {
    this.reason ??= 'server-close';
    this.#stopped = true;
    this.ending = true;
    if (this.#queue.length === 0) this.#end('server-close');
  }

  pauseFor(ex: FastExchange): void {
    if (this.#pausedBy !== null) return;
    this.#pausedBy = ex;
    pauseReading(this.socket);
  }

  resumeFor(ex: FastExchange): void {
    if (this.#pausedBy !== ex) return;
    this.#pausedBy = null;
    resumeReading(this.socket);
  }

  static #onDrain(this: Socket): void {
    FastClient.#of(this).#queue[0]?.resumeUpstream();
  }

  /** The error is kept as the close reason; net destroys the socket and 'close' follows. */
  static #onError(this: Socket, err: NodeJS.ErrnoException): void {
    const c = FastClient.#of(this);
    c.#errorCode ??= err.code ?? 'error';
  }

  /**
   * The client half-closed: as node's http server does by default
   * (httpAllowHalfOpen false), what is in flight is abandoned and our side
   * ended; an upstream socket mid-exchange is destroyed ('client-closed').
   */
  static #onEnd(this: Socket): void {
    const c = FastClient.#of(this);
    c.#sawEnd = true;
    c.#stopped = true;
    c.#parsing = null;
    for (const ex of c.#queue) ex.onClientGone();
    c.#queue.length = 0;
    if (!this.writableEnded) this.end();
  }

  static #onClose(this: Socket): void {
    const c = FastClient.#of(this);
    for (const ex of c.#queue) ex.onClientGone();
    c.#queue.length = 0;
    c.#parsing = null;
    const reason = closeReason({
      localReason: c.reason,
      errorCode: c.#errorCode,
      peerEnded: c.#sawEnd,
      shuttingDown: c.#ctx.closing,
    });
    c.#ctx.clientClosed(c, reason);
    const p = c.#parser;
    if (p === null) return;
    c.#parser = null;
    if (c.#consumed) releaseSocket(p, this);
    // Not from inside one of its own callbacks (node's freeParser does the same).
    setImmediate(closeParser, p);
  }
}

function closeParser(p: HttpParser): void {
  p.close();
}
