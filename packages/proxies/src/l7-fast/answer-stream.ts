import type { ProxyStatus } from '../l7-kit/errors-responses.js';
import type { FastClient } from './client-conn.js';
import type { FastContext } from './context.js';

/** Bytes an answer may buffer behind an earlier one (pipelining) before its upstream is paused. */
const QUEUED_HIGH_WATER = 64 * 1024;
/**
 * Response pieces up to this size are joined with the head into one latin1
 * string per upstream read: one write(2) per response instead of a writev of
 * head + body (writes were ~30 % of l7's profile).
 */
const INLINE_MAX = 16 * 1024;

/**
 * The client side of one exchange: its answer, in its place in the
 * connection's order. Only the client's first answer (`client.head`) writes
 * to the socket; a later one queues its bytes until it is first, pausing its
 * upstream past QUEUED_HIGH_WATER. The proxy's own answers (errors, 417,
 * 100 Continue) and the origin's interim ones go through the same order.
 *
 * FastExchange extends this with the upstream side; the split is by concern,
 * not by object: a request is still one object.
 */
export abstract class AnswerStream {
  readonly client: FastClient;
  protected readonly ctx: FastContext;
  readonly id: string | null;
  /** The client's hop allows another request after this one. */
  readonly keepAlive: boolean;
  /** The whole answer has been emitted (written, or queued behind an earlier one). */
  answered = false;
  /** This answer is the connection's last. */
  closeClient = false;
  /** Small pieces of the current upstream read, joined; see flushOut. */
  protected pend = '';
  #out: Array<string | Buffer> | null = null;
  #outBytes = 0;

  constructor(ctx: FastContext, client: FastClient, id: string | null, keepAlive: boolean) {
    this.ctx = ctx;
    this.client = client;
    this.id = id;
    this.keepAlive = keepAlive;
  }

  /** Nothing more goes upstream for this request. */
  protected abstract settle(): void;
  protected abstract pauseUpstream(): void;
  abstract resumeUpstream(): void;

  /** The proxy's own answer for this request (framing, upstream failure). */
  answerError(status: ProxyStatus, why: string, close: boolean): void {
    this.settle();
    this.ctx.recordReject(this.client, this.id, status, why);
    if (close) this.client.stopReading('connection-close');
    // The answer says what happens next: close when we must, or when this hop was ending anyway.
    const last = close || !this.keepAlive || this.ctx.closing || this.client.ending;
    if (last) this.closeClient = true;
    this.emit(this.ctx.answers.error(status, last));
    this.finishAnswer();
  }

  /** An answer that is not an upstream response (417); nothing went upstream. */
  answerRaw(bytes: string, close: boolean): void {
    this.settle();
    if (close) {
      this.closeClient = true;
      this.client.stopReading('connection-close');
    }
    this.emit(bytes);
    this.finishAnswer();
  }

  /** `100 Continue` in its place in the answer order. */
  emitContinue(bytes: string): void {
    this.emit(bytes);
  }

  protected putBody(chunk: Buffer): void {
    if (chunk.length <= INLINE_MAX) {
      this.pend += chunk.toString('latin1');
      return;
    }
    this.flushOut();
    this.emit(chunk);
  }

  /** What this upstream read produced goes to the client (or its queue) now. */
  flushOut(): void {
    const p = this.pend;
    if (p === '') return;
    this.pend = '';
    this.emit(p);
  }

  protected emit(b: string | Buffer): void {
    const client = this.client;
    const first: AnswerStream | undefined = client.head;
    if (first === this) {
      if (!client.write(b)) this.pauseUpstream();
      return;
    }
    (this.#out ??= []).push(b);
    this.#outBytes += b.length;
    if (this.#outBytes > QUEUED_HIGH_WATER) this.pauseUpstream();
  }

  /** This answer is now first in line: flush what was queued; resume the origin if the client can take more. */
  becomeHead(): boolean {
    const out = this.#out;
    let flowing = true;
    if (out !== null) {
      this.#out = null;
      this.#outBytes = 0;
      for (const b of out) flowing = this.client.write(b);
    }
    if (flowing) this.resumeUpstream();
    else this.pauseUpstream();
    return this.answered;
  }

  protected finishAnswer(): void {
    this.answered = true;
    const first: AnswerStream | undefined = this.client.head;
    if (first === this) this.client.advance();
  }
}
