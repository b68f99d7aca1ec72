import {
  request,
  STATUS_CODES,
  type Agent,
  type ClientRequest,
  type IncomingMessage,
  type RequestOptions,
  type ServerResponse,
} from 'node:http';
import { constants as h2, type ClientHttp2Stream, type IncomingHttpHeaders, type IncomingHttpStatusHeader } from 'node:http2';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { CloseReason } from '@keepalive-lab/core';
import type { ProxyStatus } from '../l7-kit/errors-responses.js';
import { checkRequestFraming, endsConnection, type RequestFraming } from '../l7-kit/framing.js';
import { clientResponseHeaders, interimResponse, UNASKED_SWITCH, upstreamRequestHeaders } from '../l7-kit/hop-by-hop.js';
import type { L7Context, Target } from '../l7-kit/l7-base.js';
import { afterFailedAttempt } from '../l7-kit/retry.js';
import { UPSTREAM_TIMEOUT, type PoolRequestOptions, type UpstreamConn } from '../l7-kit/upstream-pool.js';
import { h2RequestHeaders, withoutPseudo } from './h2c-headers.js';
import type { H2cAttempt, H2cSession, H2cUpstream } from './h2c-upstream.js';
import { sendError } from './send-error.js';

/** node's writer for bytes outside a message (it writes `100 Continue` with it); keeps pipelined order. */
interface RawWriter {
  _writeRaw(data: string, encoding: BufferEncoding): boolean;
}

/** What node's client emits for an interim response ('information'). */
interface Interim {
  statusCode: number;
  statusMessage: string;
  rawHeaders: string[];
}

/** One client connection as the proxy sees it. */
export interface ClientConn {
  readonly id: number;
  readonly socket: Socket;
  readonly port: number | null;
  readonly ip: string;
  /** Requests read and not yet answered (pipelining makes it > 1). */
  inFlight: number;
  /** Target of the previous request: sticky balancing. */
  lastTarget: number | null;
  reason: CloseReason | null;
  /** close() came while busy: end the connection once the last answer is out. */
  closeWhenIdle: boolean;
  /** The latest request's exchange, while it lasts. */
  current: Exchange | null;
  /**
   * The request after which the connection ends (framing.ts, endsConnection;
   * or a reject that closes). node's parser may go on reading behind it: any
   * request it emits after this one is ignored, any bytes it chokes on once
   * this one is whole are too; node closes after this one's answer.
   */
  last: IncomingMessage | null;
  /** The proxy's own closing answer (501 to a CONNECT), held until the answers before it are out. */
  refusal: Buffer | null;
}

/** The Exchange a request, response or upstream message belongs to (see the class comment). */
const kExchange = Symbol('Exchange');
type Owned = { [kExchange]: Exchange };
const tag = (o: object, ex: Exchange): void => {
  (o as Owned)[kExchange] = ex;
};

/** What an exchange needs from the proxy that owns it: the kit's context, and a word when it is over. */
export interface ExchangeContext extends L7Context {
  done(client: ClientConn): void;
  /** The target's HTTP/2 upstream when upstreamProtocol is h2c; null: the HTTP/1.1 pool. */
  h2c(target: number): H2cUpstream | null;
}

/** nghttp2's error codes by number (RFC 9113 §7), for a reject's `why`. */
const H2_ERROR_NAMES = new Map<number, string>(
  Object.entries(h2)
    .filter(([name]) => name.startsWith('NGHTTP2_') && !name.startsWith('NGHTTP2_ERR_') && !name.startsWith('NGHTTP2_SESSION_'))
    .filter(([, v]) => typeof v === 'number')
    .map(([name, v]) => [v as number, name]),
);

/**
 * One client request and its attempts upstream:
 *
 *   client req ──framing──► pick target ──► attempt 1 ──response──► client res (streamed)
 *                  │ bad                        │ stale reused socket, idempotent, no body
 *                  ▼                            ▼
 *             400/431/501                  attempt 2 (fresh socket) ──► 502/504 on failure
 *
 * Teardown in one place each way: the client leaving early destroys the
 * upstream request (its socket is never pooled half-read); the origin
 * failing after the head went out destroys the client's response, so the
 * client never sees a complete-looking truncated body.
 *
 * Listeners are static functions shared by every exchange; each finds its
 * exchange through `kExchange` on the emitter. A dozen closures per request
 * cost 3 µs under tsx, whose esbuild (keepNames) gives each its own `name`.
 */
export class Exchange {
  id: string | null = null;
  attempt = 0;
  target = -1;
  readonly #ctx: ExchangeContext;
  readonly client: ClientConn;
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  #framing: RequestFraming | null = null;
  #headers: string[] = [];
  #upstream: ClientRequest | null = null;
  /** The origin's response being forwarded (HTTP/1.1 message or h2c stream). */
  #upRes: Readable | null = null;
  upstreamConn: UpstreamConn | null = null;
  /** h2c: the attempt's stream (null once given up on: its late events are ignored), its session, and whether that had carried a stream. */
  #stream: ClientHttp2Stream | null = null;
  #session: H2cSession | null = null;
  #sessionReused = false;
  /** h2c: the response stream ended (a 'close' before it is a truncated body). */
  #upEnded = false;
  #forwarded = false;
  #settled = false;
  /** An interim response went to the client (or its queue) ahead of the final one. */
  #interimSent = false;

  constructor(ctx: ExchangeContext, client: ClientConn, req: IncomingMessage, res: ServerResponse) {
    this.#ctx = ctx;
    this.client = client;
    this.#req = req;
    this.#res = res;
  }

  start(): void {
    const req = this.#req;
    const res = this.#res;
    this.client.current = this;
    tag(res, this);
    res.on('close', Exchange.#onClientClose);
    const f = checkRequestFraming(req, this.#ctx.options.maxHeaderCount);
    this.id = f.id;
    if (f.reject !== null) {
      this.#reject(f.reject.status as ProxyStatus, f.reject.why, true);
      return;
    }
    this.#framing = f;
    res.sendDate = false; // the origin's Date is the one that counts
    if (endsConnection(f, res.shouldKeepAlive)) {
      res.shouldKeepAlive = false;
      this.client.last ??= req;
    }
    if (this.#ctx.closing) res.shouldKeepAlive = false;
    if (req.httpVersionMinor === 0) res.useChunkedEncodingByDefault = false; // never chunked to HTTP/1.0
    const target = this.#ctx.balancer.pick(this.client.lastTarget);
    this.target = target;
    this.client.lastTarget = target;
    this.#ctx.balancer.started(target);
    const t = this.#ctx.targets[target] as Target;
    this.#headers = upstreamRequestHeaders({
      rawHeaders: req.rawHeaders,
      clientIp: this.client.ip,
      host: f.host,
      targetHost: t.label,
      via: this.#ctx.via,
    });
    this.#send();
  }

  #send(): void {
    const f = this.#framing as RequestFraming;
    const t = this.#ctx.targets[this.target] as Target;
    this.attempt++;
    this.#forwarded = false;
    this.upstreamConn = null;
    const h2c = this.#ctx.h2c(this.target);
    if (h2c !== null) {
      this.#sendH2(h2c, f, t);
      return;
    }
    const options: RequestOptions & PoolRequestOptions = {
      // An Agent-like object (node checks only for addRequest); see upstream-pool.ts.
      agent: t.pool as unknown as Agent,
      host: t.endpoint.host,
      port: t.endpoint.port,
      method: this.#req.method,
      path: f.path,
      headers: this.#headers,
      maxHeaderSize: this.#ctx.options.maxHeaderSize,
      insecureHTTPParser: false,
      labFresh: this.attempt > 1,
    };
    const up = request(options);
    this.#upstream = up;
    tag(up, this);
    up.on('socket', Exchange.#onSocket);
    up.on('information', Exchange.#onInterim);
    up.on('upgrade', Exchange.#onSwitch);
    up.on('response', Exchange.#onResponse);
    up.on('error', Exchange.#onUpstreamError);
    if (f.hasBody) this.#req.pipe(up);
    else up.end();
  }

  static #of(o: unknown): Exchange {
    return (o as Owned)[kExchange];
  }

  static #onSocket(this: ClientRequest, socket: Socket): void {
    const ex = Exchange.#of(this);
    const conn = ex.#ctx.targets[ex.target]?.pool.conn(socket) ?? null;
    ex.upstreamConn = conn;
    if (conn !== null && conn.localPort === null) socket.once('connect', () => ex.#recordForward());
    else ex.#recordForward();
  }

  #recordForward(): void {
    if (this.#forwarded || this.#settled) return;
    this.#forwarded = true;
    const s = this.#session;
    if (s !== null) this.#ctx.recordForward(this, s, this.#sessionReused);
    else this.#ctx.recordForward(this, this.upstreamConn, this.#upstream?.reusedSocket ?? false);
  }

  /**
   * h2c: the request as a stream on the target's session (h2c-upstream.ts),
   * its head translated by h2c-headers.ts, its body piped (backpressure by
   * the stream's flow control). `avoid`: the session that refused attempt 1.
   */
  #sendH2(h2c: H2cUpstream, f: RequestFraming, t: Target, avoid: H2cSession | null = null): void {
    this.#session = null;
    this.#stream = null;
    const headers = h2RequestHeaders(this.#headers, this.#req.method ?? 'GET', f.path, f.host ?? t.label);
    let a: H2cAttempt | null;
    try {
      a = h2c.request(headers, !f.hasBody, avoid);
    } catch (err) {
      // A head HTTP/2 cannot carry (a field repeated that must be single, a value node refuses): the client's.
      this.#reject(400, (err as NodeJS.ErrnoException).code ?? 'h2-request-head', f.hasBody && !this.#req.complete);
      return;
    }
    if (a === null) {
      // close() has begun: no new stream.
      this.#recordForward();
      this.#reject(502, 'upstream-closing', f.hasBody && !this.#req.complete);
      return;
    }
    const stream = a.stream;
    this.#stream = stream;
    this.#session = a.session;
    this.#sessionReused = a.reused;
    this.#upEnded = false;
    tag(stream, this);
    // Silence on this stream (waiting for the head, or mid-body) for upstreamTimeout: 504, only this stream cancelled.
    stream.setTimeout(this.#ctx.options.upstreamTimeout);
    stream.on('timeout', Exchange.#onH2Timeout);
    stream.on('headers', Exchange.#onH2Interim);
    stream.on('response', Exchange.#onH2Response);
    stream.on('error', Exchange.#onH2Error);
    stream.on('close', Exchange.#onH2Close);
    if (a.session.localPort === null) a.session.socket.once('connect', () => this.#recordForward());
    else this.#recordForward();
    if (f.hasBody) this.#req.pipe(stream);
  }

  /** The exchange of a stream event, if that stream is still its current attempt. */
  static #ofStream(stream: ClientHttp2Stream): Exchange | null {
    const ex = Exchange.#of(stream);
    return ex.#stream === stream && !ex.#settled ? ex : null;
  }

  static #onH2Interim(
    this: ClientHttp2Stream,
    headers: IncomingHttpHeaders & IncomingHttpStatusHeader,
    _flags: number,
    raw: string[],
  ): void {
    const status = Number(headers[':status']);
    // Only 1xx come as 'headers' before the response (node emits 100 as 'continue'; trailers as 'trailers').
    if (status < 100 || status > 199 || status === 101) return;
    const ex = Exchange.#ofStream(this);
    if (ex !== null) ex.#interim({ statusCode: status, statusMessage: STATUS_CODES[status] ?? '', rawHeaders: withoutPseudo(raw) });
  }

  static #onH2Response(
    this: ClientHttp2Stream,
    headers: IncomingHttpHeaders & IncomingHttpStatusHeader,
    _flags: number,
    raw: string[],
  ): void {
    const ex = Exchange.#ofStream(this);
    if (ex === null) return;
    const status = Number(headers[':status'] ?? 502);
    // HTTP/2 has no connection fields to read (no Keep-Alive hint, no close): the head maps straight back.
    const head = clientResponseHeaders(withoutPseudo(raw), ex.#ctx.via);
    ex.#forwardResponse(status, STATUS_CODES[status] ?? '', head.headers, this);
  }

  static #onH2Timeout(this: ClientHttp2Stream): void {
    const ex = Exchange.#ofStream(this);
    if (ex === null) return;
    ex.#stream = null;
    this.close(h2.NGHTTP2_CANCEL);
    ex.#h2Failed(UPSTREAM_TIMEOUT, false);
  }

  static #onH2Error(this: ClientHttp2Stream, err: NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException }): void {
    const ex = Exchange.#ofStream(this);
    if (ex === null) return;
    ex.#stream = null;
    const rst = this.rstCode;
    // A session's failure reaches its streams as ERR_HTTP2_STREAM_CANCEL with the session's error as the cause.
    const code =
      err.cause?.code ?? (err.code === 'ERR_HTTP2_STREAM_ERROR' && rst !== undefined ? (H2_ERROR_NAMES.get(rst) ?? err.code) : err.code);
    const session = ex.#session;
    // Refused before being processed (RFC 9113 §8.7): REFUSED_STREAM (above a GOAWAY's last stream id), or the
    // session going away before this stream was ever sent (no id yet) on a session that had connected.
    const refused =
      rst === h2.NGHTTP2_REFUSED_STREAM ||
      err.code === 'ERR_HTTP2_GOAWAY_SESSION' ||
      (this.id === undefined && session !== null && session.localPort !== null);
    ex.#h2Failed(code, refused);
  }

  /** A stream closed without an error: before a response (an RST NO_ERROR), or before its body's end. */
  static #onH2Close(this: ClientHttp2Stream): void {
    const ex = Exchange.#ofStream(this);
    if (ex === null || ex.#upEnded) return;
    ex.#stream = null;
    ex.#h2Failed(H2_ERROR_NAMES.get(this.rstCode ?? -1) ?? 'ERR_HTTP2_STREAM_CLOSED', false);
  }

  /**
   * h2c: an attempt failed. After the answer's head: the client's response is
   * cut (as on HTTP/1.1). Before it: retry.ts decides, as for HTTP/1.1; a
   * refused request goes once more on a new session (not while closing: no
   * new session then), anything else is answered 502, a timeout 504.
   */
  #h2Failed(code: string | undefined, refused: boolean): void {
    if (this.#settled) return;
    this.#recordForward();
    if (this.#res.headersSent) {
      this.#upstreamBodyError();
      return;
    }
    const f = this.#framing as RequestFraming;
    const next = afterFailedAttempt(
      {
        method: this.#req.method ?? '',
        attempt: this.attempt,
        reused: this.#sessionReused,
        conn: null,
        hasBody: f.hasBody,
        errorCode: code,
        refused: refused && !this.#ctx.closing,
      },
      this.#ctx.options.retryStale,
    );
    if (next.retry) {
      this.#ctx.countRetry();
      this.attempt++;
      this.#forwarded = false;
      // Only an h2c attempt fails here: its upstream is there.
      this.#sendH2(this.#ctx.h2c(this.target) as H2cUpstream, f, this.#ctx.targets[this.target] as Target, this.#session);
      return;
    }
    this.#reject(next.status, next.why, f.hasBody && !this.#req.complete);
  }

  /**
   * An origin's 1xx (node's client emits 100 as 'information' too): passed
   * on or dropped by hop-by-hop.ts's rule. Written raw through the response,
   * which queues it behind an earlier answer still under way (pipelining).
   */
  static #onInterim(this: ClientRequest, info: Interim): void {
    Exchange.#of(this).#interim(info);
  }

  #interim(info: Interim): void {
    if (this.#settled || this.#res.headersSent) return;
    const bytes = interimResponse(info.statusCode, info.statusMessage, info.rawHeaders, this.#ctx.via, {
      http10: this.#req.httpVersionMinor === 0,
      sentContinue: (this.#framing as RequestFraming).expect === 'continue',
    });
    if (bytes === null) return;
    this.#interimSent = true;
    (this.#res as unknown as RawWriter)._writeRaw(bytes, 'latin1');
  }

  /**
   * The origin answered 101 to a request that asked for no upgrade. node's
   * client hands over the socket (with no listener it would destroy it and
   * never tell this request): drop it, 502.
   */
  static #onSwitch(this: ClientRequest, _res: IncomingMessage, socket: Socket): void {
    Exchange.#of(this).#switched(socket);
  }

  #switched(socket: Socket): void {
    const conn = this.upstreamConn;
    if (conn !== null) this.#ctx.targets[this.target]?.pool.markReason(conn.socket, 'error');
    socket.destroy();
    this.#upstreamError(Object.assign(new Error('the origin switched protocols unasked'), { code: UNASKED_SWITCH }));
  }

  static #onResponse(this: ClientRequest, upRes: IncomingMessage): void {
    Exchange.#of(this).#response(upRes);
  }

  #response(upRes: IncomingMessage): void {
    if (this.#settled) {
      upRes.destroy();
      return;
    }
    const conn = this.upstreamConn;
    const pool = this.#ctx.targets[this.target]?.pool;
    const head = clientResponseHeaders(upRes.rawHeaders, this.#ctx.via);
    // node's client has decided whether the origin keeps it (Connection: close, or HTTP/1.0 without keep-alive).
    if (conn !== null) pool?.noteResponse(conn.socket, head.keepAliveSeconds, this.#upstream?.shouldKeepAlive !== false);
    upRes.on('error', Exchange.#onUpstreamBodyError);
    this.#forwardResponse(upRes.statusCode ?? 502, upRes.statusMessage, head.headers, upRes);
  }

  /** Both protocols: the head to the client, then the body, streamed with backpressure. */
  #forwardResponse(status: number, message: string | undefined, headers: string[], upRes: Readable): void {
    const res = this.#res;
    res.writeHead(status, message, headers);
    // An interim (ours, or node's own 100 Continue) may sit in the response's buffer (pipelining):
    // node would put a Buffer body's head in front of it (OutgoingMessage._send unshifts the head),
    // so the head is queued now, as a string, behind it.
    if (this.#interimSent || (this.#framing as RequestFraming).expect === 'continue') res.flushHeaders();
    this.#upRes = upRes;
    tag(upRes, this);
    // What pipe() does here, without its dozen listeners per response: write, pause on a full
    // client socket until 'drain', end with the origin's end. Teardown stays #onClientClose's.
    upRes.on('data', Exchange.#onUpstreamData);
    upRes.on('end', Exchange.#onUpstreamEnd);
  }

  static #onUpstreamData(this: Readable, chunk: Buffer): void {
    const res = Exchange.#of(this).#res;
    if (res.write(chunk)) return;
    this.pause();
    res.once('drain', Exchange.#onClientDrain);
  }

  static #onClientDrain(this: ServerResponse): void {
    Exchange.#of(this).#upRes?.resume();
  }

  static #onUpstreamEnd(this: Readable): void {
    const ex = Exchange.#of(this);
    ex.#upEnded = true;
    ex.#res.end();
  }

  static #onUpstreamBodyError(this: IncomingMessage): void {
    Exchange.#of(this).#upstreamBodyError();
  }

  /** The origin reset or closed mid-body: the client must not see a clean end. */
  #upstreamBodyError(): void {
    if (this.#settled) return;
    this.client.reason ??= 'upstream-closed';
    this.#res.destroy();
  }

  static #onUpstreamError(this: ClientRequest, err: NodeJS.ErrnoException): void {
    Exchange.#of(this).#upstreamError(err);
  }

  #upstreamError(err: NodeJS.ErrnoException): void {
    if (this.#settled) return;
    this.#recordForward();
    const conn = this.upstreamConn;
    const pool = this.#ctx.targets[this.target]?.pool;
    if (conn !== null) pool?.noteFailure(conn.socket, err.code);
    if (this.#res.headersSent) {
      this.#upstreamBodyError();
      return;
    }
    const f = this.#framing as RequestFraming;
    const next = afterFailedAttempt(
      {
        method: this.#req.method ?? '',
        attempt: this.attempt,
        reused: this.#upstream?.reusedSocket ?? false,
        conn,
        hasBody: f.hasBody,
        errorCode: err.code,
      },
      this.#ctx.options.retryStale,
    );
    if (next.retry) {
      this.#ctx.countRetry();
      this.#send();
      return;
    }
    // A body we stopped reading leaves the connection unframed: close it after the answer.
    this.#reject(next.status, next.why, f.hasBody && !this.#req.complete);
  }

  /**
   * The client's bytes went bad after the head (an invalid chunk size): the
   * upstream request is abandoned mid-body, so the origin never sees a whole
   * request, and the client gets the 400 if no answer has started.
   */
  failFromClient(status: ProxyStatus, why: string): boolean {
    if (this.#settled || this.#res.headersSent) return false;
    this.#settled = true;
    const up = this.#upstream;
    const conn = this.upstreamConn;
    if (conn !== null) this.#ctx.targets[this.target]?.pool.markReason(conn.socket, 'client-closed');
    if (up !== null && !up.destroyed) up.destroy();
    this.#cancelStream();
    this.#reject(status, why, true);
    return true;
  }

  #reject(status: ProxyStatus, why: string, close: boolean): void {
    this.#ctx.recordReject(this.client, this.id, status, why);
    if (close) {
      this.client.reason ??= 'connection-close';
      this.client.last ??= this.#req;
    }
    sendError(this.#res, status, close);
  }

  /** The response is done or the client is gone: the one teardown point. */
  static #onClientClose(this: ServerResponse): void {
    Exchange.#of(this).#clientClosed();
  }

  #clientClosed(): void {
    this.#settled = true;
    // The connection's last answer is out: node ends the socket now, as the answer said.
    if (this.client.last === this.#req && this.#res.writableFinished) this.client.reason ??= 'connection-close';
    if (this.client.current === this) this.client.current = null;
    if (this.target >= 0) this.#ctx.balancer.finished(this.target);
    const up = this.#upstream;
    if (!this.#res.writableFinished && up !== null && !up.destroyed) {
      // The client left before its answer was out: the upstream socket is
      // mid-exchange and can never be reused.
      const conn = this.upstreamConn;
      if (conn !== null) this.#ctx.targets[this.target]?.pool.markReason(conn.socket, 'client-closed');
      up.destroy();
    }
    // h2c: only this stream is cancelled; the session and its other streams go on.
    if (!this.#res.writableFinished) this.#cancelStream();
    this.#ctx.done(this.client);
  }

  /** h2c: the current stream, given up on (RST_STREAM CANCEL). */
  #cancelStream(): void {
    const stream = this.#stream;
    this.#stream = null;
    if (stream !== null && !stream.destroyed) stream.close(h2.NGHTTP2_CANCEL);
  }
}
