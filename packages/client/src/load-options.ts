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
   * (an origin going down and back) falls in its middle. Agent engine only. */
  interval?: number;
  /** Gaps between request starts stepped evenly from `from` to `to` ms across the run (replaces interval). */
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
    throw new LabError('LAB_ERR_USAGE', `url: expected http://host:port/path, found ${JSON.stringify(o.url)}`, { path: 'url', found: o.url }, { cause: err });
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
  const interval = o.interval ?? 0;
  if (!isInt(interval, 0)) throw usage('interval', 'a whole number of ms ≥ 0', o.interval);
  if (interval > 0 && engine === 'fast') throw usage('interval', '0 with the fast engine (pacing is an agent-engine feature)', o.interval);
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
    engine,
    recorder: o.recorder ?? new Recorder(),
    idPrefix: o.idPrefix ?? LOAD_DEFAULTS.idPrefix,
    onRecord: o.onRecord ?? null,
    signal: o.signal ?? null,
  };
}
