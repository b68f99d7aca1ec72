import type { Socket } from 'node:net';
import { closeReason, type CloseReason } from '@keepalive-lab/core';
import { rawErrorResponse, type ProxyStatus } from '../l7-kit/errors-responses.js';
import type { FastContext } from './context.js';
import type { FastExchange } from './exchange.js';
import { admitRequest } from './request-intake.js';
import { HTTPParser, METHODS, strictParser, type HttpParser, type OnHeadersComplete, type ParseError } from './llhttp.js';

/** ms a rejected connection may drain before it is destroyed (lets the client read the answer). */
const REJECT_LINGER_MS = 500;
/** node's HTTP_SERVER_KEEP_ALIVE_TIMEOUT_BUFFER: an idle client is closed this long after the advertised timeout. */
const KEEP_ALIVE_BUFFER_MS = 1000;

/**
 * One client connection: a strict llhttp request parser fed from 'data',
 * and the answers in request order (pipelining).
 *
 * Order and framing: every parsed head becomes a FastExchange at the end of
 * `queue`; only `queue[0]` writes to the socket, later ones buffer. Upstream
 * work starts after the execute that parsed the head returns, so bad bytes
 * right behind a head stop that request before a byte of it goes upstream.
 * After a request that ends the connection (Connection: close, HTTP/1.0,
 * a reject) no further request is read: nothing pipelined behind it is
 * forwarded.
 *
 * Deadlines as node's server has them: `headStart` (0: no head awaited) for
 * the proxy's 408 sweep; the socket timeout is clientTimeout while busy,
 * clientKeepAliveTimeout + 1000 ms while idle.
 */
export class FastClient {
  readonly id: number;
  readonly socket: Socket;
  readonly port: number | null;
  readonly ip: string;
  readonly #ctx: FastContext;
  readonly #parser: HttpParser;
  readonly #queue: FastExchange[] = [];
  /** The request whose body is being read. */
  #parsing: FastExchange | null = null;
  /** Heads parsed in the current execute; started after it. */
  readonly #started: FastExchange[] = [];
  #fields: string[] | null = null;
  #url = '';
  /** ms timestamp the awaited head began; 0 when none is awaited. */
  headStart: number;
  lastTarget: number | null = null;
  reason: CloseReason | null = null;
  /** Read no further requests. */
  #stopped = false;
  /** End the connection once the last answer is out. */
  ending = false;
  #pausedBy: FastExchange | null = null;
  #idleTimeout = false;
  #sawEnd = false;
  #errorCode: string | null = null;

  constructor(ctx: FastContext, id: number, socket: Socket) {
    this.#ctx = ctx;
    this.id = id;
    this.socket = socket;
    this.port = socket.remotePort ?? null;
    this.ip = socket.remoteAddress ?? '';
    this.headStart = Date.now();
    const p = strictParser('request', ctx.options.maxHeaderSize);
    this.#parser = p;
    p[HTTPParser.kOnMessageBegin] = this.#onMessageBegin;
    p[HTTPParser.kOnHeaders] = this.#onHeaders;
    p[HTTPParser.kOnHeadersComplete] = this.#onHeadersComplete;
    p[HTTPParser.kOnBody] = this.#onBody;
    p[HTTPParser.kOnMessageComplete] = this.#onMessageComplete;
    if (ctx.options.clientTimeout > 0) socket.setTimeout(ctx.options.clientTimeout);
    socket.on('data', this.#onData);
    socket.on('drain', this.#onDrain);
    socket.on('end', this.#onEnd);
    socket.on('timeout', this.#onTimeout);
    // The error is kept as the close reason; net destroys the socket and 'close' follows.
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.#errorCode ??= err.code ?? 'error';
    });
    socket.once('close', this.#onClose);
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
    return typeof b === 'string' ? s.write(b, 'latin1') : s.write(b);
  }

  readonly #onData = (data: Buffer): void => {
    if (this.#stopped && this.#parsing === null) return; // closing: what follows is never read
    const r = this.#parser.execute(data);
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
  };

  readonly #onMessageBegin = (): void => {
    this.headStart = Date.now();
  };

  readonly #onHeaders = (fields: string[], url: string): void => {
    if (this.#fields === null) this.#fields = fields;
    else for (const f of fields) this.#fields.push(f);
    this.#url += url;
  };

  readonly #onHeadersComplete: OnHeadersComplete = (major, minor, fields, methodIndex, url, _status, _message, upgrade, keepAlive) => {
    this.headStart = 0;
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
    if (this.#queue.length === 0 && this.#idleTimeout) {
      this.#idleTimeout = false;
      this.socket.setTimeout(ctx.options.clientTimeout);
    }
    const ex = admitRequest(ctx, this, major, minor, raw, target, METHODS[methodIndex ?? -1] ?? '', upgrade, keepAlive);
    if (ex === null) return 0;
    if (!ex.keepAlive) this.#stopped = true;
    this.#parsing = ex;
    if (!ex.settled) this.#started.push(ex);
    return 0;
  };

  /** Puts an exchange in line for its answer. */
  enqueue(ex: FastExchange): void {
    this.#queue.push(ex);
  }

  readonly #onBody = (chunk: Buffer): void => {
    this.#parsing?.requestBody(chunk);
  };

  readonly #onMessageComplete = (): void => {
    const ex = this.#parsing;
    this.#parsing = null;
    ex?.requestComplete();
  };

  /**
   * The parser refused the bytes, or the head timed out. Answered on the raw
   * socket when nothing is in flight; inside a streamed body, by that
   * exchange if its answer has not started; otherwise the connection is
   * destroyed (our bytes would land inside an answer under way).
   */
  #refuse(status: ProxyStatus, why: string): void {
    const ex = this.#parsing;
    this.#stopped = true;
    this.#parsing = null;
    if (this.reason === 'connection-close' && ex === null) return; // already answered and closing
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

  /** The proxy's sweep: the awaited head is late. */
  headTimedOut(): void {
    this.headStart = 0;
    if (this.#stopped) return;
    this.#refuse(408, 'ERR_HTTP_REQUEST_TIMEOUT');
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
    const ka = this.#ctx.options.clientKeepAliveTimeout;
    if (ka > 0) {
      this.#idleTimeout = true;
      this.socket.setTimeout(ka + KEEP_ALIVE_BUFFER_MS);
    }
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
    this.socket.pause();
  }

  resumeFor(ex: FastExchange): void {
    if (this.#pausedBy !== ex) return;
    this.#pausedBy = null;
    this.socket.resume();
  }

  readonly #onDrain = (): void => {
    this.#queue[0]?.resumeUpstream();
  };

  /**
   * The client half-closed: as node's http server does by default
   * (httpAllowHalfOpen false), what is in flight is abandoned and our side
   * ended; an upstream socket mid-exchange is destroyed ('client-closed').
   */
  readonly #onEnd = (): void => {
    this.#sawEnd = true;
    this.#stopped = true;
    this.#parsing = null;
    for (const ex of this.#queue) ex.onClientGone();
    this.#queue.length = 0;
    if (!this.socket.writableEnded) this.socket.end();
  };

  readonly #onTimeout = (): void => {
    if (this.#queue.length === 0) this.reason ??= 'idle-timeout';
    this.socket.destroy();
  };

  readonly #onClose = (): void => {
    for (const ex of this.#queue) ex.onClientGone();
    this.#queue.length = 0;
    this.#parsing = null;
    const reason = closeReason({
      localReason: this.reason,
      errorCode: this.#errorCode,
      peerEnded: this.#sawEnd,
      shuttingDown: this.#ctx.closing,
    });
    this.#ctx.clientClosed(this, reason);
    const p = this.#parser;
    setImmediate(() => p.close());
  };
}
