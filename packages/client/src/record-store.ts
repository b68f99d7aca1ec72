import type { ClientRecord } from '@keepalive-lab/core';

/**
 * The run's records, one row per request, kept in columns while it runs and
 * made into ClientRecord objects at the end. A long run keeps hundreds of
 * thousands of records, and as objects every one would survive into the old
 * generation: the collector would copy each of them on the hot path. Here a
 * row is a few typed-array slots: numbers with NaN for null; origin, error
 * and the response's Connection / Keep-Alive as indexes into short tables of
 * the distinct values seen (0 = null); the id is `idPrefix` + row number.
 */
export class RecordStore {
  #size = 0;
  #capacity: number;
  #start: Float64Array;
  #end: Float64Array;
  #status: Float64Array;
  #clientPort: Float64Array;
  /** 0 = null, 1 = false, 2 = true. */
  #reused: Uint8Array;
  #originPort: Float64Array;
  #originConn: Float64Array;
  #nthOnConn: Float64Array;
  #origin: Uint32Array;
  #error: Uint32Array;
  #hop: Uint32Array;
  readonly #texts = new Interned<string>();
  readonly #hops = new Interned<Record<string, string>>();
  /** The last (connection, keep-alive) pair interned: the responses of a run mostly repeat it. */
  #lastConnection: string | null = null;
  #lastKeepAlive: string | null = null;
  #lastHop = 0;

  constructor(
    private readonly idPrefix: string,
    expected: number,
  ) {
    this.#capacity = Math.max(16, Math.min(expected, 1 << 16));
    this.#start = new Float64Array(this.#capacity);
    this.#end = new Float64Array(this.#capacity);
    this.#status = new Float64Array(this.#capacity);
    this.#clientPort = new Float64Array(this.#capacity);
    this.#reused = new Uint8Array(this.#capacity);
    this.#originPort = new Float64Array(this.#capacity);
    this.#originConn = new Float64Array(this.#capacity);
    this.#nthOnConn = new Float64Array(this.#capacity);
    this.#origin = new Uint32Array(this.#capacity);
    this.#error = new Uint32Array(this.#capacity);
    this.#hop = new Uint32Array(this.#capacity);
  }

  get size(): number {
    return this.#size;
  }

  /** A new row, started at `start`, everything else null; returns its index (request n is row n − 1). */
  add(start: number): number {
    if (this.#size === this.#capacity) this.#grow();
    const i = this.#size++;
    this.#start[i] = start;
    this.#end[i] = Number.NaN;
    this.#status[i] = Number.NaN;
    this.#clientPort[i] = Number.NaN;
    this.#originPort[i] = Number.NaN;
    this.#originConn[i] = Number.NaN;
    this.#nthOnConn[i] = Number.NaN;
    // Typed arrays start zeroed, and a row is written once: reused, origin, error and hop are null already.
    return i;
  }

  startOf(i: number): number {
    return this.#start[i] ?? Number.NaN;
  }

  /** NaN until the request has ended. */
  endOf(i: number): number {
    return this.#end[i] ?? Number.NaN;
  }

  /** The socket the request went out on: its local port (null while connecting) and whether it had carried one before. */
  setSocket(i: number, clientPort: number | null, reused: boolean): void {
    this.#clientPort[i] = clientPort ?? Number.NaN;
    this.#reused[i] = reused ? 2 : 1;
  }

  /** The local port, once a socket that was still connecting has one. */
  setClientPort(i: number, clientPort: number | null): void {
    this.#clientPort[i] = clientPort ?? Number.NaN;
  }

  /** What the response said: its status, the origin's stamps, and its Connection / Keep-Alive (why the socket was kept or not). */
  setAnswer(
    i: number,
    status: number,
    originPort: number | null,
    origin: string | null,
    originConn: number | null,
    nthOnConn: number | null,
    connection: string | null,
    keepAlive: string | null,
  ): void {
    this.#status[i] = status;
    this.#originPort[i] = originPort ?? Number.NaN;
    this.#origin[i] = this.#texts.indexOf(origin);
    this.#originConn[i] = originConn ?? Number.NaN;
    this.#nthOnConn[i] = nthOnConn ?? Number.NaN;
    this.#hop[i] = this.#hopIndex(connection, keepAlive);
  }

  end(i: number, at: number, error: string | null): void {
    this.#end[i] = at;
    if (error !== null) this.#error[i] = this.#texts.indexOf(error);
  }

  /** Row i as the ClientRecord it stands for. */
  record(i: number): ClientRecord {
    // One literal shape, fields in the RequestRecord order, so V8 keeps one hidden class.
    return {
      id: this.idPrefix + (i + 1),
      start: this.#start[i] ?? 0,
      end: nullIfNaN(this.#end[i]),
      status: nullIfNaN(this.#status[i]),
      error: this.#texts.at(this.#error[i]),
      clientPort: nullIfNaN(this.#clientPort[i]),
      reused: this.#reused[i] === 0 ? null : this.#reused[i] === 2,
      originPort: nullIfNaN(this.#originPort[i]),
      origin: this.#texts.at(this.#origin[i]),
      originConn: nullIfNaN(this.#originConn[i]),
      nthOnConn: nullIfNaN(this.#nthOnConn[i]),
      responseHop: this.#hops.at(this.#hop[i]),
    };
  }

  records(): ClientRecord[] {
    return Array.from({ length: this.#size }, (_, i) => this.record(i));
  }

  #hopIndex(connection: string | null, keepAlive: string | null): number {
    if (connection === this.#lastConnection && keepAlive === this.#lastKeepAlive) return this.#lastHop;
    this.#lastConnection = connection;
    this.#lastKeepAlive = keepAlive;
    // The pair as the record shows it: only the headers the response had.
    const hop: Record<string, string> | null =
      connection === null && keepAlive === null
        ? null
        : { ...(connection !== null ? { connection } : {}), ...(keepAlive !== null ? { 'keep-alive': keepAlive } : {}) };
    this.#lastHop = this.#hops.indexOf(hop, `${connection}\n${keepAlive}`);
    return this.#lastHop;
  }

  #grow(): void {
    const n = this.#capacity * 2;
    this.#start = grown(this.#start, new Float64Array(n));
    this.#end = grown(this.#end, new Float64Array(n));
    this.#status = grown(this.#status, new Float64Array(n));
    this.#clientPort = grown(this.#clientPort, new Float64Array(n));
    this.#reused = grown(this.#reused, new Uint8Array(n));
    this.#originPort = grown(this.#originPort, new Float64Array(n));
    this.#originConn = grown(this.#originConn, new Float64Array(n));
    this.#nthOnConn = grown(this.#nthOnConn, new Float64Array(n));
    this.#origin = grown(this.#origin, new Uint32Array(n));
    this.#error = grown(this.#error, new Uint32Array(n));
    this.#hop = grown(this.#hop, new Uint32Array(n));
    this.#capacity = n;
  }
}

/** Distinct values by index, 0 standing for null. */
class Interned<T> {
  readonly #values: (T | null)[] = [null];
  readonly #index = new Map<unknown, number>();

  /** The value's index, added if new; `key` says when two values are the same (the value itself by default). */
  indexOf(value: T | null, key: unknown = value): number {
    if (value === null) return 0;
    let i = this.#index.get(key);
    if (i === undefined) {
      i = this.#values.push(value) - 1;
      this.#index.set(key, i);
    }
    return i;
  }

  at(i: number | undefined): T | null {
    return this.#values[i ?? 0] ?? null;
  }
}

function grown<A extends Float64Array | Uint32Array | Uint8Array>(old: A, into: A): A {
  into.set(old);
  return into;
}

const nullIfNaN = (n: number | undefined): number | null => (n === undefined || Number.isNaN(n) ? null : n);
