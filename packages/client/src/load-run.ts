import { gapBefore, plannedOffset, type LoadResult, type ResolvedLoad } from './load-options.js';
import { RecordStore } from './record-store.js';

/**
 * How an engine puts an issued request on its way: `i` is its row in the store (request i + 1);
 * `fromTimer`: issued by the pacing timer, not by a slot that just freed.
 */
export type StartRequest = (i: number, fromTimer: boolean) => void;

/** What `issue` returns when no request may be issued. */
export const NONE = -1;

/**
 * What both engines share: which request goes next and when, the records,
 * and when the run is over. A request is "issued" when it enters the
 * in-flight window of `concurrency` (its `start`), even if it then waits for
 * a socket: that wait is part of the latency the blog saw.
 *
 * The window is `concurrency` slots. An engine calls `slotFree` once per slot
 * at the start and again whenever a request ends; the slot issues the next
 * request now, or, under pacing, when it is due. Slots waiting for their turn
 * share one timer: a timer each would be re-armed `concurrency` times per
 * request at a high rate.
 */
export class LoadRun {
  readonly o: ResolvedLoad;
  /** One row per issued request, request n in row n − 1; complete once the run has ended. */
  readonly store: RecordStore;
  /** Per record, under a schedule of starts: ms it started after it was due. */
  readonly #lags: number[] = [];
  #late = 0;
  responseBytes = 0;
  bytesRead = 0;
  bytesSent = 0;
  #issued = 0;
  #done = 0;
  #aborted = false;
  /** `duration` is over: nothing more is issued, what is in flight finishes. */
  #stopped = false;
  #t0 = 0;
  #start: StartRequest = () => undefined;
  /** Free slots waiting for a paced turn, and the one timer that gives it. */
  #waiting = 0;
  #turnTimer: NodeJS.Timeout | null = null;
  #deadline: NodeJS.Timeout | null = null;
  #resolve: (() => void) | null = null;
  readonly #ended: Promise<void>;

  constructor(o: ResolvedLoad) {
    this.o = o;
    this.store = new RecordStore(o.idPrefix, o.requests);
    this.#ended = new Promise((resolve) => (this.#resolve = resolve));
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  get issued(): number {
    return this.#issued;
  }

  /** Whether a request may still be issued: not aborted, not past `duration`, not all of `requests` issued. */
  get moreToIssue(): boolean {
    return !this.#aborted && !this.#stopped && this.#issued < this.o.requests;
  }

  /** Resolves once every issued request has a record and nothing more will be issued. */
  get ended(): Promise<void> {
    return this.#ended;
  }

  /** Marks the run's start (the duration is measured from here) and how the engine starts a request. */
  begin(start: StartRequest): void {
    this.#t0 = this.o.recorder.now();
    this.#start = start;
    // Without a duration no timer: the fast engine's unpaced path sets none of its own (a test counts them).
    if (this.o.duration !== Infinity) this.#deadline = setTimeout(() => this.#stop(), this.o.duration);
  }

  /**
   * A window slot is free: at the start (`afterEnd` false) or because a request ended. Issues the next
   * request now, or, under pacing, when it is due.
   */
  slotFree(afterEnd: boolean, now?: number): void {
    if (!this.o.paced) {
      const i = this.issue(false, now);
      if (i !== NONE) this.#start(i, false);
      return;
    }
    if (!this.moreToIssue) return;
    const wait = this.delayBeforeNext();
    if (wait > 0) {
      this.#waiting++;
      this.#arm(wait);
      return;
    }
    // Due already, and no free slot was waiting for it: it came due while every slot was busy.
    const i = this.issue(afterEnd && this.#waiting === 0);
    if (i !== NONE) this.#start(i, false);
  }

  /** The pacing timer: gives waiting slots the requests now due, then waits for the next. */
  #onTurn(): void {
    this.#turnTimer = null;
    while (this.#waiting > 0) {
      if (!this.moreToIssue) {
        this.#waiting = 0;
        return;
      }
      // A timer may fire a fraction of a ms early: ask again, so a request never starts before its time.
      const wait = this.delayBeforeNext();
      if (wait > 0) {
        this.#arm(wait);
        return;
      }
      this.#waiting--;
      const i = this.issue();
      if (i !== NONE) this.#start(i, true);
    }
  }

  #arm(wait: number): void {
    if (this.#turnTimer === null) this.#turnTimer = setTimeout(() => this.#onTurn(), wait);
  }

  /**
   * ms to wait before the next request may start, under pacing (`interval`, `rate`, `intervalSweep`); 0 = now.
   */
  delayBeforeNext(): number {
    const o = this.o;
    if (!o.paced) return 0;
    const n = this.#issued; // the next request is n + 1
    if (n === 0 || !this.moreToIssue) return 0;
    return Math.max(0, this.#dueAt(n + 1) - o.recorder.now());
  }

  /** When request n is due: on the schedule of starts, or, for a sweep at concurrency 1, its gap after the previous end. */
  #dueAt(n: number): number {
    const o = this.o;
    // A sweep at concurrency 1: the gap is the socket's idle time, from the previous request's end.
    // That request has ended (the window of one is free), so its end is set; `now` is a safe fallback.
    if (o.gapFrom === 'end') {
      const end = this.store.endOf(n - 2);
      return (Number.isNaN(end) ? o.recorder.now() : end) + gapBefore(o, n);
    }
    return this.#t0 + plannedOffset(o, n);
  }

  /**
   * Issues the next request: a fresh row with its start, or NONE when none may be issued (all issued,
   * aborted, or `duration` is over). `late`: it came due while every slot was busy. `now`: the clock,
   * when the caller has just read it (a request that ended and frees the slot: its end is this start).
   */
  issue(late = false, now = this.o.recorder.now()): number {
    if (!this.moreToIssue) return NONE;
    if (now - this.#t0 >= this.o.duration) {
      this.#stop();
      return NONE;
    }
    const i = this.store.add(now);
    this.#issued++;
    if (this.o.paced && this.o.gapFrom === 'start') {
      const lag = Math.max(0, now - this.#dueAt(i + 1));
      this.#lags[i] = lag;
      if (late && lag > 0) this.#late++;
    }
    return i;
  }

  /** The one place a request ends, answered or failed; `now` as `issue` takes it. */
  finish(i: number, error: string | null, now = this.o.recorder.now()): void {
    this.store.end(i, now, error);
    this.#done++;
    // Progress only: the record is made for the callback, and dropped (the store keeps the row).
    const onRecord = this.o.onRecord;
    if (onRecord !== null) onRecord(this.store.record(i), this.#done);
    this.o.onDone?.(this.#done);
    this.#checkEnded();
  }

  /** A socket of the run closed: what it carried, both ways. */
  countSocket(s: { bytesRead: number; bytesWritten: number }): void {
    this.bytesRead += s.bytesRead;
    this.bytesSent += s.bytesWritten;
  }

  /** Stops issuing; engines then end what is in flight with `ABORTED`. */
  abort(): void {
    this.#aborted = true;
    this.#checkEnded();
  }

  /** `duration` is over: nothing more is issued; what is in flight finishes. */
  #stop(): void {
    this.#stopped = true;
    this.#checkEnded();
  }

  /** Clears the run's timers; engines call it once the run has ended, whatever happened. */
  dispose(): void {
    if (this.#turnTimer !== null) clearTimeout(this.#turnTimer);
    if (this.#deadline !== null) clearTimeout(this.#deadline);
    this.#turnTimer = this.#deadline = null;
    this.#waiting = 0;
  }

  result(): LoadResult {
    const n = this.store.size;
    let last = this.#t0;
    for (let i = 0; i < n; i++) {
      const end = this.store.endOf(i);
      if (end > last) last = end; // NaN (never ended) compares false
    }
    const gaps = this.o.paced ? Array.from({ length: n }, (_, i) => gapBefore(this.o, i + 1)) : new Array<number>(n).fill(0);
    const lags = Array.from({ length: n }, (_, i) => this.#lags[i] ?? 0);
    return {
      records: this.store.records(),
      durationMs: last - this.#t0,
      responseBytes: this.responseBytes,
      bytesRead: this.bytesRead,
      bytesSent: this.bytesSent,
      gaps,
      lags,
      late: this.#late,
    };
  }

  #checkEnded(): void {
    if (this.#done !== this.#issued || this.moreToIssue) return;
    this.dispose();
    this.#resolve?.();
  }
}

/** The error code a record keeps: the socket's own (ECONNRESET), else a name. */
export function errorCode(err: unknown): string {
  if (err instanceof LoadAbortError) return err.code;
  const e = err as NodeJS.ErrnoException | null;
  // node says ECONNRESET for both; a reset arrives as 'read ECONNRESET', a close without an answer as 'socket hang up'.
  if (e?.code === 'ECONNRESET' && e.message === 'socket hang up') return 'EOF';
  return typeof e?.code === 'string' ? e.code : 'ERROR';
}

/** How the engines destroy a request themselves: `TIMEOUT` or `ABORTED`. */
export class LoadAbortError extends Error {
  readonly code: 'TIMEOUT' | 'ABORTED';
  constructor(code: 'TIMEOUT' | 'ABORTED') {
    super(code === 'TIMEOUT' ? 'request timed out' : 'run aborted');
    this.code = code;
  }
}

/** `x-lab-origin-*` numbers: null when absent or not a number (a non-lab origin). */
export function headerInt(v: string | string[] | undefined): number | null {
  if (typeof v !== 'string' || v.trim() === '') return null;
  const n = Number(v);
  return Number.isInteger(n) ? n : null;
}
