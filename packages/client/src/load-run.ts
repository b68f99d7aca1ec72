import type { ClientRecord } from '@keepalive-lab/core';
import { gapBefore, plannedOffset, type LoadResult, type ResolvedLoad } from './load-options.js';

/**
 * What both engines share: which request goes next, when it was issued, and
 * the records. A request is "issued" when it enters the in-flight window of
 * `concurrency` (its `start`), even if it then waits for a socket: that
 * wait is part of the latency the blog saw.
 */
export class LoadRun {
  readonly o: ResolvedLoad;
  /** Indexed by n - 1; complete (no holes) once the run has ended. */
  readonly records: ClientRecord[] = [];
  responseBytes = 0;
  #issued = 0;
  #done = 0;
  #aborted = false;
  #t0 = 0;
  #resolve: (() => void) | null = null;
  readonly #ended: Promise<void>;

  constructor(o: ResolvedLoad) {
    this.o = o;
    this.#ended = new Promise((resolve) => (this.#resolve = resolve));
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  get issued(): number {
    return this.#issued;
  }

  /** Resolves once every issued request has a record and nothing more will be issued. */
  get ended(): Promise<void> {
    return this.#ended;
  }

  /** Marks the run's start; the duration is measured from here. */
  begin(): void {
    this.#t0 = this.o.recorder.now();
  }

  /**
   * ms to wait before the next request may start, under pacing (`interval`, `intervalSweep`); 0 = now.
   * Engines ask again when their timer fires (a timer may fire a fraction of a ms early, and several
   * window slots may have waited for the same turn), so a request never starts before its time.
   */
  delayBeforeNext(): number {
    const o = this.o;
    if (!o.paced) return 0;
    const n = this.#issued; // the next request is n + 1
    if (n === 0 || n >= o.requests || this.#aborted) return 0;
    const now = o.recorder.now();
    // A sweep at concurrency 1: the gap is the socket's idle time, from the previous request's end.
    // That request has ended (the window of one is free), so its end is set; `now` is a safe fallback.
    const at = o.gapFrom === 'end' ? (this.records[n - 1]?.end ?? now) + gapBefore(o, n + 1) : this.#t0 + plannedOffset(o, n + 1);
    return Math.max(0, at - now);
  }

  /** Issues the next request: a fresh record with its id and start, or null when all are issued or the run was aborted. */
  issue(): ClientRecord | null {
    if (this.#aborted || this.#issued >= this.o.requests) return null;
    const n = ++this.#issued;
    // One literal shape for every record, fields in the RequestRecord order, so V8 keeps one hidden class.
    const rec: ClientRecord = {
      id: this.o.idPrefix + n,
      start: this.o.recorder.now(),
      end: null,
      status: null,
      error: null,
      clientPort: null,
      reused: null,
      originPort: null,
      origin: null,
      originConn: null,
      nthOnConn: null,
      responseHop: null,
    };
    this.records[n - 1] = rec;
    return rec;
  }

  /** The one place a request ends, answered or failed. */
  finish(rec: ClientRecord, error: string | null): void {
    rec.end = this.o.recorder.now();
    if (error !== null) rec.error = error;
    this.#done++;
    this.o.onRecord?.(rec, this.#done);
    this.#checkEnded();
  }

  /** Stops issuing; engines then end what is in flight with `ABORTED`. */
  abort(): void {
    this.#aborted = true;
    this.#checkEnded();
  }

  result(): LoadResult {
    const last = this.records.reduce((t, r) => Math.max(t, r.end ?? t), this.#t0);
    const gaps = this.o.paced ? this.records.map((_, i) => gapBefore(this.o, i + 1)) : new Array<number>(this.records.length).fill(0);
    return { records: this.records, durationMs: last - this.#t0, responseBytes: this.responseBytes, gaps };
  }

  #checkEnded(): void {
    if (this.#done === this.#issued && (this.#aborted || this.#issued === this.o.requests)) this.#resolve?.();
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
