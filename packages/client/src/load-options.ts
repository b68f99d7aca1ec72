import { LAB_HEADERS, LabError, Recorder, type ClientRecord } from '@keepalive-lab/core';
import { resolveHeaders, type HeaderValues } from './request-headers.js';

export type LoadEngine = 'agent' | 'fast';

export interface LoadOptions {
  /** http://127.0.0.1:PORT/path */
  url: string;
  /**
   * Total requests. Without it the run lasts `duration`; with both, it stops at whichever comes first
   * (a cap on requests and a cap on time, as wrk's -d and autocannon's -a are). One of the two is required.
   */
  requests?: number;
  /**
   * ms after the run's start at which no more requests are issued. Requests in flight then still get
   * their answer (each bounded by `timeout`): cutting them off would drop exactly the slowest answers
   * from the latencies. Both engines.
   */
  duration?: number;
  /**
   * Requests per second, as an open model: request n is due at (n − 1) / rate s after the run's start,
   * whenever earlier ones answer, so a slow server does not slow the offered load. A request that comes
   * due while all `concurrency` slots are busy waits for one (it is "late", `LoadResult.late`) and
   * starts then, by its lag (`LoadResult.lags`); later requests keep their own times. Replaces
   * `interval` and `intervalSweep` (giving one of them too is LAB_ERR_USAGE). Both engines.
   */
  rate?: number;
  /** In flight at once; requests beyond the socket limit wait in a queue, as in the blog's Agent. */
  concurrency: number;
  /** false = `agent: false` style: `Connection: close`, a new socket per request. */
  keepAlive: boolean;
  /** 0 = unlimited. */
  maxSockets: number;
  method: string;
  /**
   * Sent as is (a string as UTF-8), with any method, GET included (HTTP gives a GET body no meaning but
   * does not forbid it, and what a proxy does with one is worth seeing), with a Content-Length the client
   * sets. POST, PUT and PATCH send DEFAULT_BODY when absent.
   */
  body?: string | Buffer;
  /**
   * Extra request headers; a list sends one line per value. Content-Length, Transfer-Encoding,
   * Connection, Expect, Upgrade and x-lab-request-id are the client's own and refused (request-headers.ts);
   * a Host replaces the URL's.
   */
  headers?: HeaderValues;
  /**
   * Send `x-lab-hop: 1` and name it in `Connection`: a header every proxy
   * must strip (RFC 9110 §7.6.1). The origin records whether it arrived.
   */
  hopHeader?: boolean;
  /** ms a request may take once it has a socket (queue time is not counted); default 60000 → error `TIMEOUT`. */
  timeout?: number;
  /** ms between request starts (0 = as fast as the window allows): spreads a run over time so a fault
   * (an origin going down and back) falls in its middle. Both engines. A schedule, not a gap: request n
   * starts no earlier than (n − 1) × interval after the run's start, and a late start does not push the
   * next one back. */
  interval?: number;
  /**
   * Gaps stepped evenly from `from` to `to` ms (both ≥ 0, from ≤ to) across the run: the gap before
   * request k + 1 is `from + (to − from) × (k − 1) / (requests − 2)` for k = 1..requests − 1 (one request:
   * no gap; two: `from`; from = to: one fixed gap). See `plannedGaps`. Both engines.
   *
   * Where a gap is measured:
   * - concurrency 1: from the previous request's END (its last response byte read, its record's `end`)
   *   to the next request's start. That is the time the kept-alive socket sat idle, what an idle-timeout
   *   race depends on (nodejs/node#52649: gaps of 950–999 ms against a server closing idle sockets at
   *   1 s); with maxSockets 1 every request reuses the socket after exactly that much idle time. A slow
   *   response does not eat into the gap.
   * - concurrency > 1: between request STARTS, as a schedule from the run's start (request n starts no
   *   earlier than gap_1 + … + gap_{n−1} after it), exactly as `interval` is: with several requests in
   *   flight there is no one "previous end" to measure from.
   *
   * Replaces `interval`: giving both with interval > 0 is LAB_ERR_USAGE (interval 0, "no interval", is
   * accepted beside a sweep).
   */
  intervalSweep?: { from: number; to: number };
  /** 'agent' (node:http, the teaching engine, default) or 'fast' (raw net sockets, the speed engine). */
  engine?: LoadEngine;
  /** The run's clock; a private one when absent. */
  recorder?: Recorder;
  /** Request ids are `${idPrefix}${n}`, n from 1; default 'r'. */
  idPrefix?: string;
  /** Progress: called as each request ends, with its record and how many have ended. */
  onRecord?: (rec: ClientRecord, done: number) => void;
  /** Progress without the record (no object made per request): called as each request ends, with how many have ended. */
  onDone?: (done: number) => void;
  /** Stops the run: no new request is issued, in-flight ones end with error `ABORTED`. */
  signal?: AbortSignal;
}

export interface LoadResult {
  /** One per issued request, in id order. */
  records: ClientRecord[];
  durationMs: number;
  /** Response body bytes read, all requests together. */
  responseBytes: number;
  /** Bytes read from the run's sockets, heads and bodies: what crossed the wire towards the client. */
  bytesRead: number;
  /** Bytes written to the run's sockets: request heads and bodies. */
  bytesSent: number;
  /**
   * Under a schedule of starts (`rate`, `interval`, a sweep at concurrency > 1): ms each request started
   * after it was due, per record (a timer's own delay, or the wait for a slot); all 0 otherwise.
   */
  lags: number[];
  /** Requests that came due while every `concurrency` slot was busy, and waited for one (0 without a schedule). */
  late: number;
  /**
   * The planned gap (ms) before each request, one per record, in the same order: `gaps[i]` belongs to
   * `records[i]`, 0 for the first, all 0 without pacing. Measured as the pacing option says (see
   * `LoadOptions.intervalSweep`): from the previous request's end for a sweep at concurrency 1, between
   * planned starts otherwise. A request may start later than planned (a busy loop, a full window), never
   * earlier: with a sweep at concurrency 1, `records[i].start − records[i − 1].end ≥ gaps[i]`.
   */
  gaps: number[];
}

/** The small body POST/PUT/PATCH send when the caller gives none. */
export const DEFAULT_BODY = Buffer.from('keepalive-lab\n');

export const LOAD_DEFAULTS = {
  timeout: 60_000, // ms
  engine: 'agent' as LoadEngine,
  idPrefix: 'r',
} as const;

const METHOD = /^[A-Za-z]+$/;
const WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

/** Options after validation, with defaults applied and the URL taken apart once. */
export interface ResolvedLoad {
  host: string;
  port: number;
  /** Path and query, as sent on the request line. */
  path: string;
  /** Host header value. */
  hostHeader: string;
  /** Infinity: until `duration`. */
  requests: number;
  /** ms after the run's start when issuing stops; Infinity = none. */
  duration: number;
  /** Requests per second (open model), or null. */
  rate: number | null;
  concurrency: number;
  keepAlive: boolean;
  /** Infinity when the caller said 0. */
  maxSockets: number;
  method: string;
  body: Buffer | null;
  /** The caller's headers, checked, a Host among them when given (the fast engine writes `hostHeader` in its place). */
  headers: HeaderValues;
  /** Added to the `Connection` header's own token (`, x-lab-hop`), or ''. */
  connectionTokens: string;
  timeout: number;
  /** ms between request starts (1000 / rate with a rate, so possibly fractional); 0 = none. */
  interval: number;
  /** null = no sweep. */
  intervalSweep: { from: number; to: number } | null;
  /** interval > 0, a rate or a sweep: the engines wait before issuing. False keeps timers off the fast engine's hot path. */
  paced: boolean;
  /** Where a gap is measured from: the previous request's end (a sweep at concurrency 1) or the run's start (a schedule of starts). */
  gapFrom: 'start' | 'end';
  engine: LoadEngine;
  recorder: Recorder;
  idPrefix: string;
  onRecord: ((rec: ClientRecord, done: number) => void) | null;
  onDone: ((done: number) => void) | null;
  signal: AbortSignal | null;
}

const usage = (option: string, expected: string, found: unknown): LabError =>
  new LabError('LAB_ERR_USAGE', `${option}: expected ${expected}, found ${JSON.stringify(found)}`, {
    path: option,
    expected,
    found: JSON.stringify(found),
  });

const isInt = (n: unknown, min: number): n is number => typeof n === 'number' && Number.isInteger(n) && n >= min;

/** Checks every option up front and names the one that is wrong (undici's habit). */
export function resolveLoadOptions(o: LoadOptions): ResolvedLoad {
  let url: URL;
  try {
    url = new URL(o.url);
  } catch (err) {
    throw new LabError(
      'LAB_ERR_USAGE',
      `url: expected http://host:port/path, found ${JSON.stringify(o.url)}`,
      { path: 'url', found: o.url },
      { cause: err },
    );
  }
  if (url.protocol !== 'http:') throw usage('url', 'an http:// URL', o.url);
  const { requests, duration } = resolveExtent(o);
  if (!isInt(o.concurrency, 1)) throw usage('concurrency', 'an integer ≥ 1', o.concurrency);
  if (!isInt(o.maxSockets, 0)) throw usage('maxSockets', 'an integer ≥ 0 (0 = unlimited)', o.maxSockets);
  if (!METHOD.test(o.method)) throw usage('method', 'an HTTP method such as GET or POST', o.method);
  const timeout = o.timeout ?? LOAD_DEFAULTS.timeout;
  if (!isInt(timeout, 1)) throw usage('timeout', 'a whole number of ms ≥ 1', o.timeout);
  const engine = o.engine ?? LOAD_DEFAULTS.engine;
  if (engine !== 'agent' && engine !== 'fast') throw usage('engine', 'agent or fast', engine);
  const { interval, intervalSweep, rate } = resolvePacing({ ...o, requests });
  const method = o.method.toUpperCase();
  const body = o.body !== undefined ? Buffer.from(o.body) : WITH_BODY.has(method) ? DEFAULT_BODY : null;
  const given = resolveHeaders(o.headers, 'headers');
  // URL keeps IPv6 hosts in brackets; sockets want them bare.
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return {
    host,
    port: url.port === '' ? 80 : Number(url.port),
    path: `${url.pathname}${url.search}`,
    hostHeader: given.host ?? url.host,
    requests,
    duration,
    rate,
    concurrency: o.concurrency,
    keepAlive: o.keepAlive,
    maxSockets: o.maxSockets === 0 ? Infinity : o.maxSockets,
    method,
    body,
    headers: o.hopHeader ? { ...given.headers, [LAB_HEADERS.hop]: '1' } : given.headers,
    connectionTokens: o.hopHeader ? `, ${LAB_HEADERS.hop}` : '',
    timeout,
    interval,
    intervalSweep,
    paced: interval > 0 || intervalSweep !== null,
    gapFrom: intervalSweep !== null && o.concurrency === 1 ? 'end' : 'start',
    engine,
    recorder: o.recorder ?? new Recorder(),
    idPrefix: o.idPrefix ?? LOAD_DEFAULTS.idPrefix,
    onRecord: o.onRecord ?? null,
    onDone: o.onDone ?? null,
    signal: o.signal ?? null,
  };
}

const isMs = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n) && n >= 0;

/** How long the run lasts: `requests`, `duration`, or both (whichever comes first). */
function resolveExtent(o: Pick<LoadOptions, 'requests' | 'duration'>): Pick<ResolvedLoad, 'requests' | 'duration'> {
  if (o.duration !== undefined && !(isMs(o.duration) && o.duration > 0)) throw usage('duration', 'a number of ms > 0', o.duration);
  if (o.requests === undefined && o.duration === undefined) throw usage('requests', 'an integer ≥ 1, or a duration to run for', o.requests);
  if (o.requests !== undefined && !isInt(o.requests, 1)) throw usage('requests', 'an integer ≥ 1', o.requests);
  return { requests: o.requests ?? Infinity, duration: o.duration ?? Infinity };
}

const both = (a: string, b: string, found: Record<string, unknown>, why: string): LabError =>
  new LabError('LAB_ERR_USAGE', `${a} and ${b}: give one of them, not both (${why}), found ${JSON.stringify(found)}`, {
    path: `${a}, ${b}`,
    expected: `${a} or ${b}, not both`,
    found: JSON.stringify(found),
  });

/** Checks `rate`, `interval` and `intervalSweep` (and `requests`, which a sweep spreads over); a rate becomes its interval. */
function resolvePacing(
  o: Pick<LoadOptions, 'interval' | 'intervalSweep' | 'rate'> & { requests: number },
): Pick<ResolvedLoad, 'interval' | 'intervalSweep' | 'rate'> {
  const interval = o.interval ?? 0;
  if (!isInt(interval, 0)) throw usage('interval', 'a whole number of ms ≥ 0', o.interval);
  const sweep: unknown = o.intervalSweep;
  if (o.rate !== undefined) {
    if (!(isMs(o.rate) && o.rate > 0)) throw usage('rate', 'a number of requests per second > 0', o.rate);
    if (interval > 0) throw both('rate', 'interval', { rate: o.rate, interval }, 'a rate is a schedule of starts, 1000 / rate ms apart');
    if (sweep !== undefined) throw both('rate', 'intervalSweep', { rate: o.rate, intervalSweep: sweep }, 'a rate spaces starts evenly');
    return { interval: 1000 / o.rate, intervalSweep: null, rate: o.rate };
  }
  if (sweep === undefined) return { interval, intervalSweep: null, rate: null };
  if (typeof sweep !== 'object' || sweep === null) throw usage('intervalSweep', '{ from, to } in ms', sweep);
  const { from, to } = sweep as { from?: unknown; to?: unknown };
  if (!isMs(from)) throw usage('intervalSweep.from', 'a number of ms ≥ 0', from);
  if (!isMs(to)) throw usage('intervalSweep.to', 'a number of ms ≥ 0', to);
  if (from > to) throw usage('intervalSweep', 'from ≤ to (a sweep runs from the shorter gap to the longer)', sweep);
  if (interval > 0) throw both('interval', 'intervalSweep', { interval, intervalSweep: sweep }, 'intervalSweep replaces interval');
  if (o.requests === Infinity) throw usage('intervalSweep', 'a number of requests to spread the gaps over (give requests)', sweep);
  return { interval, intervalSweep: { from, to }, rate: null };
}

/** The planned gap (ms) before request n (n from 1; 0 for the first). */
export function gapBefore(p: Pick<ResolvedLoad, 'requests' | 'interval' | 'intervalSweep'>, n: number): number {
  if (n <= 1) return 0;
  const s = p.intervalSweep;
  if (s === null) return p.interval;
  // gap_k, k = n − 1: from + (to − from) × (k − 1) / (requests − 2); two requests have the one gap `from`.
  return p.requests <= 2 ? s.from : s.from + ((s.to - s.from) * (n - 2)) / (p.requests - 2);
}

/** Planned start of request n as an offset from the run's start, under a schedule of starts: the gaps before it, summed. */
export function plannedOffset(p: Pick<ResolvedLoad, 'requests' | 'interval' | 'intervalSweep'>, n: number): number {
  const m = n - 1; // gaps before request n
  if (m <= 0) return 0;
  const s = p.intervalSweep;
  if (s === null) return m * p.interval;
  if (p.requests <= 2) return m * s.from;
  // Σ_{k=1..m} from + (to − from) × (k − 1) / (requests − 2)
  return m * s.from + ((s.to - s.from) * m * (m - 1)) / 2 / (p.requests - 2);
}

/**
 * The planned gap (ms) before each of `o.requests` requests, 0 for the first: what `runLoad` returns as
 * `gaps` for a run that issues them all. Checks the pacing options as `runLoad` does (a LabError naming
 * the option). Where each gap is measured depends on concurrency: see `LoadOptions.intervalSweep`.
 */
export function plannedGaps(o: Pick<LoadOptions, 'requests' | 'interval' | 'intervalSweep'>): number[] {
  if (!isInt(o.requests, 1)) throw usage('requests', 'an integer ≥ 1', o.requests);
  const p = { requests: o.requests, ...resolvePacing({ ...o, requests: o.requests }) };
  return Array.from({ length: p.requests }, (_, i) => gapBefore(p, i + 1));
}
