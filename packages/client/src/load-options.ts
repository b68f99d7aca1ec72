import { LAB_HEADERS, LabError, Recorder, type ClientRecord } from '@keepalive-lab/core';

export type LoadEngine = 'agent' | 'fast';

export interface LoadOptions {
  /** http://127.0.0.1:PORT/path */
  url: string;
  /** Total requests. */
  requests: number;
  /** In flight at once; requests beyond the socket limit wait in a queue, as in the blog's Agent. */
  concurrency: number;
  /** false = `agent: false` style: `Connection: close`, a new socket per request. */
  keepAlive: boolean;
  /** 0 = unlimited. */
  maxSockets: number;
  method: string;
  /** Sent as is; POST, PUT and PATCH send DEFAULT_BODY when absent. */
  body?: string | Buffer;
  headers?: Record<string, string>;
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
  /** Progress: called as each request ends, with how many have ended. */
  onRecord?: (rec: ClientRecord, done: number) => void;
  /** Stops the run: no new request is issued, in-flight ones end with error `ABORTED`. */
  signal?: AbortSignal;
}

export interface LoadResult {
  /** One per issued request, in id order. */
  records: ClientRecord[];
  durationMs: number;
  /** Response body bytes read, all requests together. */
  responseBytes: number;
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
  requests: number;
  concurrency: number;
  keepAlive: boolean;
  /** Infinity when the caller said 0. */
  maxSockets: number;
  method: string;
  body: Buffer | null;
  headers: Record<string, string>;
  /** Added to the `Connection` header's own token (`, x-lab-hop`), or ''. */
  connectionTokens: string;
  timeout: number;
  /** ms between request starts; 0 = none. */
  interval: number;
  /** null = no sweep. */
  intervalSweep: { from: number; to: number } | null;
  /** interval > 0 or a sweep: the engines wait before issuing. False keeps timers off the fast engine's hot path. */
  paced: boolean;
  /** Where a gap is measured from: the previous request's end (a sweep at concurrency 1) or the run's start (a schedule of starts). */
  gapFrom: 'start' | 'end';
  engine: LoadEngine;
  recorder: Recorder;
  idPrefix: string;
  onRecord: ((rec: ClientRecord, done: number) => void) | null;
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
  if (!isInt(o.requests, 1)) throw usage('requests', 'an integer ≥ 1', o.requests);
  if (!isInt(o.concurrency, 1)) throw usage('concurrency', 'an integer ≥ 1', o.concurrency);
  if (!isInt(o.maxSockets, 0)) throw usage('maxSockets', 'an integer ≥ 0 (0 = unlimited)', o.maxSockets);
  if (!METHOD.test(o.method)) throw usage('method', 'an HTTP method such as GET or POST', o.method);
  const timeout = o.timeout ?? LOAD_DEFAULTS.timeout;
  if (!isInt(timeout, 1)) throw usage('timeout', 'a whole number of ms ≥ 1', o.timeout);
  const engine = o.engine ?? LOAD_DEFAULTS.engine;
  if (engine !== 'agent' && engine !== 'fast') throw usage('engine', 'agent or fast', engine);
  const { interval, intervalSweep } = resolvePacing(o);
  const method = o.method.toUpperCase();
  const body = o.body !== undefined ? Buffer.from(o.body) : WITH_BODY.has(method) ? DEFAULT_BODY : null;
  // URL keeps IPv6 hosts in brackets; sockets want them bare.
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return {
    host,
    port: url.port === '' ? 80 : Number(url.port),
    path: `${url.pathname}${url.search}`,
    hostHeader: url.host,
    requests: o.requests,
    concurrency: o.concurrency,
    keepAlive: o.keepAlive,
    maxSockets: o.maxSockets === 0 ? Infinity : o.maxSockets,
    method,
    body,
    headers: o.hopHeader ? { ...o.headers, [LAB_HEADERS.hop]: '1' } : (o.headers ?? {}),
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
    signal: o.signal ?? null,
  };
}

const isMs = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n) && n >= 0;

/** Checks `interval` and `intervalSweep` (and `requests`, which the sweep spreads over). */
function resolvePacing(o: Pick<LoadOptions, 'requests' | 'interval' | 'intervalSweep'>): Pick<ResolvedLoad, 'interval' | 'intervalSweep'> {
  if (!isInt(o.requests, 1)) throw usage('requests', 'an integer ≥ 1', o.requests);
  const interval = o.interval ?? 0;
  if (!isInt(interval, 0)) throw usage('interval', 'a whole number of ms ≥ 0', o.interval);
  const sweep: unknown = o.intervalSweep;
  if (sweep === undefined) return { interval, intervalSweep: null };
  if (typeof sweep !== 'object' || sweep === null) throw usage('intervalSweep', '{ from, to } in ms', sweep);
  const { from, to } = sweep as { from?: unknown; to?: unknown };
  if (!isMs(from)) throw usage('intervalSweep.from', 'a number of ms ≥ 0', from);
  if (!isMs(to)) throw usage('intervalSweep.to', 'a number of ms ≥ 0', to);
  if (from > to) throw usage('intervalSweep', 'from ≤ to (a sweep runs from the shorter gap to the longer)', sweep);
  if (interval > 0) {
    throw new LabError(
      'LAB_ERR_USAGE',
      `interval and intervalSweep: give one of them, not both (intervalSweep replaces interval), found interval ${interval} and intervalSweep ${JSON.stringify(sweep)}`,
      {
        path: 'interval, intervalSweep',
        expected: 'interval or intervalSweep, not both',
        found: JSON.stringify({ interval, intervalSweep: sweep }),
      },
    );
  }
  return { interval, intervalSweep: { from, to } };
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
  const p = { requests: o.requests, ...resolvePacing(o) };
  return Array.from({ length: p.requests }, (_, i) => gapBefore(p, i + 1));
}
