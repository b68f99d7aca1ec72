import { performance } from 'node:perf_hooks';
import type { LabEvent, OriginRequestEvent } from './events.js';

export type EventListener = (e: LabEvent) => void;

/**
 * Collects what every component sees, on one clock. Components call `now()`
 * and `record()` on their hot path, so both stay trivial: a push into an
 * array, and listeners only when someone subscribed (the NDJSON writer).
 * Serialising happens at the end, never per event.
 *
 * The origin's per-request event, by far the most frequent, has its own
 * entry point that stores its fields in columns instead of an object: no
 * allocation per request, and nothing new for the garbage collector to
 * carry through a long run (bench: the retained objects cost the origin
 * ~15-25 % of its CPU per request). `events` rebuilds the objects, in
 * order, when someone reads them.
 */
export class Recorder {
  readonly t0: number;
  /** False: keep nothing (benchmarks measure the cost of recording). */
  readonly keep: boolean;
  #listeners: EventListener[] = [];
  /** Every kept event in order: an object, or the row number of an origin request in the columns. */
  readonly #seq: (LabEvent | number)[] = [];
  readonly #req = new RequestColumns();
  #built: LabEvent[] | null = null;

  constructor(options: { keep?: boolean; t0?: number } = {}) {
    this.keep = options.keep ?? true;
    this.t0 = options.t0 ?? performance.now();
  }

  /** ms since the run started, with sub-ms precision. */
  now(): number {
    return performance.now() - this.t0;
  }

  record(e: LabEvent): void {
    if (this.keep) {
      this.#seq.push(e);
      this.#built = null;
    }
    for (const listener of this.#listeners) listener(e);
  }

  /** The origin's `request` event, without building an object unless a listener wants one. */
  originRequest(
    origin: string,
    id: string | null,
    conn: number,
    remotePort: number | null,
    nth: number,
    method: string,
    bytes: number,
    hop: Record<string, string> | null = null,
  ): void {
    const t = this.now();
    if (this.keep) {
      this.#seq.push(this.#req.push(t, origin, id, conn, remotePort, nth, method, bytes, hop));
      this.#built = null;
    }
    if (this.#listeners.length > 0) {
      const e: OriginRequestEvent = { event: 'request', source: 'origin', t, origin, id, conn, remotePort, nth, method, bytes, hop };
      for (const listener of this.#listeners) listener(e);
    }
  }

  /** Every kept event, in the order recorded. Built on first read after a change. */
  get events(): LabEvent[] {
    this.#built ??= this.#seq.map((e) => (typeof e === 'number' ? this.#req.event(e) : e));
    return this.#built;
  }

  /** Subscribe; returns the unsubscribe function. */
  on(listener: EventListener): () => void {
    this.#listeners.push(listener);
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  get hasListeners(): boolean {
    return this.#listeners.length > 0;
  }
}

/** Origin request events as columns: plain arrays of numbers and shared strings, one row each. */
class RequestColumns {
  readonly #t: number[] = [];
  readonly #origin: string[] = [];
  readonly #id: (string | null)[] = [];
  readonly #conn: number[] = [];
  /** -1 for an unknown port: keeps the column all small integers. */
  readonly #remotePort: number[] = [];
  readonly #nth: number[] = [];
  readonly #method: string[] = [];
  readonly #bytes: number[] = [];
  /** Mostly null: an object only for a request that carried hop-by-hop headers. */
  readonly #hop: (Record<string, string> | null)[] = [];

  push(
    t: number,
    origin: string,
    id: string | null,
    conn: number,
    remotePort: number | null,
    nth: number,
    method: string,
    bytes: number,
    hop: Record<string, string> | null,
  ): number {
    this.#hop.push(hop);
    this.#t.push(t);
    this.#origin.push(origin);
    this.#id.push(id);
    this.#conn.push(conn);
    this.#remotePort.push(remotePort ?? -1);
    this.#nth.push(nth);
    this.#method.push(method);
    return this.#bytes.push(bytes) - 1;
  }

  event(i: number): OriginRequestEvent {
    const port = this.#remotePort[i] ?? -1;
    return {
      event: 'request',
      source: 'origin',
      t: this.#t[i] ?? 0,
      origin: this.#origin[i] ?? '',
      id: this.#id[i] ?? null,
      conn: this.#conn[i] ?? 0,
      remotePort: port === -1 ? null : port,
      nth: this.#nth[i] ?? 0,
      method: this.#method[i] ?? '',
      bytes: this.#bytes[i] ?? 0,
      hop: this.#hop[i] ?? null,
    };
  }
}
