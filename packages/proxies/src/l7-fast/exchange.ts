import type { Socket } from 'node:net';
import type { ProxyStatus } from '../l7-kit/errors-responses.js';
import { AnswerStream } from './answer-stream.js';
import { clientResponseHeaders, interimResponse } from '../l7-kit/hop-by-hop.js';
import { afterFailedAttempt } from '../l7-kit/retry.js';
import type { PoolRequest, PoolRequestOptions, UpstreamConn } from '../l7-kit/upstream-pool.js';
import type { FastClient } from './client-conn.js';
import type { FastContext } from './context.js';
import { chunkSize, clientFraming, CRLF, LAST_CHUNK, responseHead, type BodyFraming } from './heads.js';
import { pauseReading, resumeReading } from '@keepalive-lab/core';
import type { LinkOwner, UpstreamLink } from './upstream-link.js';

/** A retry insists on a new connection (retry.ts); made once, not per request. */
const FRESH: PoolRequestOptions = { labFresh: true };
const ANY: PoolRequestOptions = { labFresh: false };

/**
 * One client request and its attempts upstream: the l7 Exchange's duties
 * (l7/exchange.ts) on raw sockets. It is the pool's request (PoolRequest)
 * and the link's owner (LinkOwner) at once, so a request costs this one
 * object and its strings; every callback is a method, none is a closure.
 *
 *   head parsed ─► start() ─► pool ─► onSocket: head (+ body so far) in one write
 *        │ body chunks ─► upstream (re-chunked when chunked)
 *   response head ─► emit ─► client (or queued behind an earlier answer)
 *   response complete ─► answered ─► releaseUpstream: 'free' to the pool
 *
 * Teardown: the client leaving destroys an upstream socket mid-exchange ('client-closed');
 * the origin failing after the head went out cuts the client ('upstream-closed').
 */
export class FastExchange extends AnswerStream implements PoolRequest, LinkOwner {
  readonly method: string;
  /** The upstream head, kept for a retry (bodiless requests only). */
  readonly head: string;
  readonly hasBody: boolean;
  readonly #chunked: boolean;
  readonly #http10: boolean;
  target = -1;
  attempt = 0;
  // PoolRequest
  reusedSocket = false;
  destroyed = false;
  // upstream side
  #link: UpstreamLink | null = null;
  #conn: UpstreamConn | null = null;
  #pendingBody: Array<string | Buffer> | null = null;
  #requestDone = false;
  #forwarded = false;
  #upPaused = false;
  /** Over upstream: released, failed or abandoned. */
  settled = false;
  // client side
  #framing: BodyFraming = 'none';
  #headSent = false;
  /** The proxy answered the client's 100-continue itself (request-intake.ts): the origin's 100 is not repeated. */
  sentContinue = false;
  #counted = false;

  /** `target` -1: answered by the proxy, nothing goes upstream. Otherwise it counts as outstanding there from now. */
  constructor(
    ctx: FastContext,
    client: FastClient,
    id: string | null,
    method: string,
    target: number,
    head: string,
    hasBody: boolean,
    chunked: boolean,
    keepAlive: boolean,
    http10: boolean,
  ) {
    super(ctx, client, id, keepAlive);
    this.method = method;
    this.head = head;
    this.hasBody = hasBody;
    this.#chunked = chunked;
    this.#http10 = http10;
    if (!hasBody) this.#requestDone = true;
    this.target = target;
    if (target >= 0) {
      ctx.balancer.started(target);
      this.#counted = true;
    }
  }

  /** Asks the target's pool for a socket (after the execute that parsed the head, so bad bytes behind it stop it first). */
  start(): void {
    this.#send();
  }
  #send(): void {
    this.attempt++;
    this.#forwarded = false;
    this.#conn = null;
    this.#link = null;
    this.ctx.targets[this.target]?.pool.addRequest(this, this.attempt > 1 ? FRESH : ANY);
  }

  /** The pool hands a socket (synchronously, idle or connecting). */
  onSocket(socket: Socket): void {
    const ctx = this.ctx;
    const conn = ctx.targets[this.target]?.pool.conn(socket) ?? null;
    this.#conn = conn;
    const link = ctx.link(socket, conn);
    this.#link = link;
    link.attach(this);
    const body = this.#pendingBody;
    if (body === null) {
      socket.write(this.head, 'latin1');
    } else {
      this.#pendingBody = null;
      socket.cork();
      socket.write(this.head, 'latin1');
      for (const b of body) this.#writeUp(socket, b);
      socket.uncork();
    }
    if (conn === null || conn.localPort !== null) this.onUpstreamConnect();
  }

  onUpstreamConnect(): void {
    if (this.#forwarded || this.settled) return;
    this.#forwarded = true;
    this.ctx.recordForward(this, this.#conn, this.reusedSocket);
  }

  /** Request body bytes, already re-chunked when chunked. */
  #writeUp(socket: Socket, b: string | Buffer): void {
    const ok = typeof b === 'string' ? socket.write(b, 'latin1') : socket.write(b);
    if (!ok) this.client.pauseFor(this);
  }

  #bodyOut(b: string | Buffer): void {
    if (this.settled) return; // answered already (the origin answered early, or failed): the rest is discarded
    const link = this.#link;
    if (link === null) (this.#pendingBody ??= []).push(b);
    else this.#writeUp(link.socket, b);
  }

  /** A piece of the client's body, from llhttp (de-chunked). */
  requestBody(chunk: Buffer): void {
    if (this.#chunked) {
      this.#bodyOut(chunkSize(chunk.length));
      this.#bodyOut(chunk);
      this.#bodyOut(CRLF);
    } else {
      this.#bodyOut(chunk);
    }
  }

  requestComplete(): void {
    if (this.#chunked) this.#bodyOut(LAST_CHUNK);
    this.#requestDone = true;
  }

  onUpstreamDrain(): void {
    this.client.resumeFor(this);
  }

  onResponseHead(
    _major: number,
    _minor: number,
    fields: string[] | undefined,
    _m: number | undefined,
    _u: string | undefined,
    status: number | undefined,
    message: string | undefined,
    _upgrade: boolean,
    upKeepAlive: boolean,
  ): number {
    const code = status ?? 0;
    const ctx = this.ctx;
    if (code < 200) {
      // Interim (the link keeps 101 from us): forwarded or dropped by hop-by-hop.ts's rule, in this answer's place.
      const bytes = interimResponse(code, message ?? '', fields ?? [], ctx.via, { http10: this.#http10, sentContinue: this.sentContinue });
      if (bytes !== null) this.pend += bytes;
      return 1;
    }
    const head = clientResponseHeaders(fields ?? [], ctx.via);
    const conn = this.#conn;
    if (conn !== null) ctx.targets[this.target]?.pool.noteResponse(conn.socket, head.keepAliveSeconds, upKeepAlive);
    const framing = clientFraming(this.method, code, head.contentLength, this.#http10);
    this.#framing = framing;
    const close = !this.keepAlive || framing === 'close' || ctx.closing || this.client.ending;
    if (close) this.closeClient = true;
    this.#headSent = true;
    this.pend += responseHead(code, message ?? '', head.headers, framing, close ? ctx.answers.close : ctx.answers.keepAlive);
    return this.method === 'HEAD' ? 1 : 0;
  }

  onResponseBody(chunk: Buffer): void {
    const f = this.#framing;
    if (f === 'none') return;
    if (f === 'chunked') {
      this.pend += chunkSize(chunk.length);
      this.putBody(chunk);
      this.pend += CRLF;
    } else {
      this.putBody(chunk);
    }
  }

  onResponseComplete(): void {
    if (this.#framing === 'chunked') this.pend += LAST_CHUNK;
    this.flushOut();
    this.finishAnswer();
  }

  /** After the execute: the socket goes back to the pool, unless it cannot carry another exchange. */
  releaseUpstream(poisoned: boolean): void {
    this.settled = true;
    const link = this.#link;
    const conn = this.#conn;
    this.#link = null;
    if (link === null) return;
    if (this.#upPaused) {
      this.#upPaused = false;
      resumeReading(link.socket);
    }
    this.client.resumeFor(this);
    const pool = this.ctx.targets[this.target]?.pool;
    if (poisoned) pool?.markReason(link.socket, 'error');
    // The origin answered before the body was all sent: the rest would be read as a request.
    else if (!this.#requestDone) pool?.markReason(link.socket, 'connection-close');
    if (conn !== null && pool !== undefined) pool.release(link.socket);
    else link.socket.destroy();
  }

  onUpstreamFail(code: string): void {
    if (this.settled) return;
    const link = this.#link;
    if (link !== null) link.detach();
    this.onUpstreamConnect();
    if (link !== null) this.ctx.targets[this.target]?.pool.noteFailure(link.socket, code);
    link?.socket.destroy();
    this.#link = null;
    this.client.resumeFor(this);
    if (this.#headSent) {
      this.settled = true;
      this.pend = ''; // never a piece more: the client sees a cut, not a clean end
      this.client.cut('upstream-closed');
      return;
    }
    const next = afterFailedAttempt(
      { method: this.method, attempt: this.attempt, reused: this.reusedSocket, conn: this.#conn, hasBody: this.hasBody, errorCode: code },
      this.ctx.options.retryStale,
    );
    if (next.retry) {
      this.ctx.countRetry();
      this.#send();
      return;
    }
    // A body we stopped reading leaves the client connection unframed: close after the answer.
    this.answerError(next.status, next.why, this.hasBody && !this.#requestDone);
  }

  protected settle(): void {
    this.settled = true;
    this.destroyed = true;
  }

  /** PoolRequest: the pool is closing while we wait for a socket. */
  destroy(): void {
    this.destroyed = true;
    if (!this.settled && this.#link === null) this.answerError(502, 'upstream-error', this.hasBody && !this.#requestDone);
  }

  /** The client's bytes went bad inside this request's body: abandon upstream, 400 if no answer has started. */
  failFromClient(status: ProxyStatus, why: string): boolean {
    if (this.answered || this.#headSent) return false;
    this.#abandonUpstream();
    this.answerError(status, why, true);
    return true;
  }

  /** The client is gone: an upstream socket mid-exchange can never be reused. */
  onClientGone(): void {
    this.#uncount();
    if (this.settled) return;
    this.#abandonUpstream();
  }

  #abandonUpstream(): void {
    this.settled = true;
    this.destroyed = true;
    const link = this.#link;
    this.#link = null;
    if (link === null) return;
    link.detach();
    this.ctx.targets[this.target]?.pool.markReason(link.socket, 'client-closed');
    link.socket.destroy();
  }

  /** Leaves the client's queue: its answer is out. */
  left(): void {
    this.#uncount();
  }

  #uncount(): void {
    if (!this.#counted) return;
    this.#counted = false;
    this.ctx.balancer.finished(this.target);
  }

  protected pauseUpstream(): void {
    const link = this.#link;
    if (link === null || this.#upPaused) return;
    this.#upPaused = true;
    pauseReading(link.socket);
  }

  resumeUpstream(): void {
    if (!this.#upPaused) return;
    this.#upPaused = false;
    const link = this.#link;
    if (link !== null) resumeReading(link.socket);
  }
}
