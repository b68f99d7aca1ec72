import { fail, LabError, ok, Recorder, type Endpoint, type Result } from '@keepalive-lab/core';

/** How a request picks its target (balancer.ts). */
export const BALANCE_MODES = ['rr', 'least', 'sticky'] as const;
export type BalanceMode = (typeof BALANCE_MODES)[number];

/**
 * What the proxy speaks to its origins: HTTP/1.1 over a keep-alive pool
 * (upstream-pool.ts), or HTTP/2 cleartext with prior knowledge, one session
 * per origin carrying every request as a stream (l7 only: ../l7/h2c-upstream.ts).
 */
export const UPSTREAM_PROTOCOLS = ['http/1.1', 'h2c'] as const;
export type UpstreamProtocol = (typeof UPSTREAM_PROTOCOLS)[number];

/**
 * The options that size or expire the HTTP/1.1 pool: with h2c there is no
 * pool (one session per origin, no Keep-Alive field in HTTP/2), so setting
 * one is refused by name rather than silently ignored. poolIdleTimeout is
 * not among them: with h2c it closes a session that carried no stream for
 * that long.
 */
export const POOL_ONLY_OPTIONS = ['maxSockets', 'maxIdleSockets', 'keepAliveHint', 'keepAliveHintMargin'] as const;

/** What l7-fast says when asked for h2c (it has no HTTP/2 client). */
export const L7_FAST_NO_H2C = 'l7-fast speaks HTTP/1.1 upstream; use kind l7 for upstreamProtocol h2c';

export interface L7ProxyOptions {
  /** Where clients connect. Default 127.0.0.1:0. */
  listen?: Endpoint;
  /** The origins; at least one. */
  targets: Endpoint[];
  /** `proxy` field of every event. Default 'l7'. */
  name?: string;
  /** Where events go. Without one, a private recorder that keeps nothing. */
  recorder?: Recorder;
  /** Upstream sockets per target, busy and idle together. */
  maxSockets?: number;
  /** Idle (pooled) sockets kept per target; beyond this the least recently used are closed ('pool-full'), after 100 ms (upstream-pool.ts). */
  maxIdleSockets?: number;
  /** ms a pooled socket may stay idle before the proxy closes it ('pool-idle-timeout'). */
  poolIdleTimeout?: number;
  /** Honour the origin's `Keep-Alive: timeout=N`: expire a pooled socket before the origin does. */
  keepAliveHint?: boolean;
  /** ms before the origin's announced timeout at which a pooled socket is dropped ('keep-alive-hint'). */
  keepAliveHintMargin?: number;
  balance?: BalanceMode;
  /** ms of upstream silence (connect, or waiting for bytes) before 504 and destroying that socket. */
  upstreamTimeout?: number;
  /** ms a client may take to send a whole request head; then 408. */
  headerTimeout?: number;
  /** ms an idle client keep-alive connection is kept (node adds its own 1000 ms buffer). */
  clientKeepAliveTimeout?: number;
  /** ms of client silence while a request is in progress (slow body) before the connection is destroyed. 0 = none. */
  clientTimeout?: number;
  /** bytes of a request head (node's maxHeaderSize); beyond it, 431. Also the cap for response heads. */
  maxHeaderSize?: number;
  /** header fields per request; beyond it, 431. */
  maxHeaderCount?: number;
  /** Retry an idempotent, bodiless request once when a reused socket dies before any response byte. */
  retryStale?: boolean;
  /** ms close() lets busy sockets finish. */
  closeGraceMs?: number;
  /**
   * 'http/1.1' (default): the keep-alive pool. 'h2c': one HTTP/2 cleartext
   * session per origin (prior knowledge), every request a stream on it;
   * refused with any of POOL_ONLY_OPTIONS set, and by l7-fast.
   */
  upstreamProtocol?: UpstreamProtocol;
}

export interface ResolvedL7Options {
  listen: Endpoint;
  targets: Endpoint[];
  name: string;
  recorder: Recorder;
  maxSockets: number;
  maxIdleSockets: number;
  poolIdleTimeout: number;
  keepAliveHint: boolean;
  keepAliveHintMargin: number;
  balance: BalanceMode;
  upstreamTimeout: number;
  headerTimeout: number;
  clientKeepAliveTimeout: number;
  clientTimeout: number;
  maxHeaderSize: number;
  maxHeaderCount: number;
  retryStale: boolean;
  closeGraceMs: number;
  upstreamProtocol: UpstreamProtocol;
}

/** Defaults in one place; units in comments. */
export const L7_DEFAULTS = {
  listen: { host: '127.0.0.1', port: 0 },
  name: 'l7',
  maxSockets: 64, // per target
  maxIdleSockets: 32, // per target; nginx's `keepalive 32`
  poolIdleTimeout: 30_000, // ms; the origin's hint usually expires sockets sooner
  keepAliveHint: true,
  keepAliveHintMargin: 1000, // ms; node's Agent and undici use the same 1 s
  balance: 'rr' as BalanceMode,
  upstreamTimeout: 30_000, // ms
  headerTimeout: 10_000, // ms; HAProxy's usual `timeout http-request`
  clientKeepAliveTimeout: 60_000, // ms; nginx keeps idle clients 75 s
  clientTimeout: 60_000, // ms
  maxHeaderSize: 16_384, // bytes; node's default
  maxHeaderCount: 100, // fields; Apache's LimitRequestFields
  retryStale: true,
  closeGraceMs: 500, // ms
  upstreamProtocol: 'http/1.1' as UpstreamProtocol,
} as const;

type NumberKey = {
  [K in keyof ResolvedL7Options]: ResolvedL7Options[K] extends number ? K : never;
}[keyof ResolvedL7Options];

/** Lower bounds; a zero where it would mean "never" is allowed only where listed as 0. */
const MIN: Record<NumberKey, number> = {
  maxSockets: 1,
  maxIdleSockets: 0,
  poolIdleTimeout: 1,
  keepAliveHintMargin: 0,
  upstreamTimeout: 1,
  headerTimeout: 1,
  clientKeepAliveTimeout: 0,
  clientTimeout: 0,
  maxHeaderSize: 1024,
  maxHeaderCount: 1,
  closeGraceMs: 0,
};

/** A proxy kind's option refused: the option, what it must be, what it was. */
const optionError = (kind: string, option: string, expected: string, found: unknown): LabError =>
  new LabError('LAB_ERR_USAGE', `${kind} proxy option ${option}: expected ${expected}, found ${String(found)}`, {
    path: option,
    expected,
    found: String(found),
  });

const bad = (option: string, expected: string, found: unknown): LabError => optionError('l7', option, expected, found);

/**
 * Refuses, by name, an option an h2c upstream would silently ignore: the
 * first of `names` set in `options` when its upstreamProtocol is h2c (null:
 * none). l7's pool options here (resolveL7Options), a real peer's where its
 * config is generated (kinds/upstream-protocol.ts): one rule, one wording.
 */
export function h2cRefusal(kind: string, options: object, names: readonly string[], why: string): LabError | null {
  const o = options as Readonly<Record<string, unknown>>;
  if (o.upstreamProtocol !== 'h2c') return null;
  const set = names.find((k) => o[k] !== undefined);
  return set === undefined ? null : optionError(kind, set, `unset with upstreamProtocol h2c (${why})`, o[set]);
}

/**
 * Fills defaults and checks every option; an error names the option and its
 * bound. `speaks`: the upstream protocols the calling engine has. l7 passes
 * both; the default is l7-fast's (HTTP/1.1 only), so l7-fast refuses h2c
 * here, by name, whoever builds it.
 */
export function resolveL7Options(
  options: L7ProxyOptions,
  speaks: readonly UpstreamProtocol[] = ['http/1.1'],
): Result<ResolvedL7Options, LabError> {
  if (!Array.isArray(options.targets) || options.targets.length === 0) {
    return fail(bad('targets', 'at least one host:port', options.targets));
  }
  const balance = options.balance ?? L7_DEFAULTS.balance;
  if (!BALANCE_MODES.includes(balance)) return fail(bad('balance', BALANCE_MODES.join(' | '), balance));
  const upstreamProtocol = options.upstreamProtocol ?? L7_DEFAULTS.upstreamProtocol;
  if (!UPSTREAM_PROTOCOLS.includes(upstreamProtocol)) {
    return fail(bad('upstreamProtocol', UPSTREAM_PROTOCOLS.join(' | '), upstreamProtocol));
  }
  if (!speaks.includes(upstreamProtocol)) {
    return fail(
      new LabError('LAB_ERR_USAGE', L7_FAST_NO_H2C, { path: 'upstreamProtocol', expected: speaks.join(' | '), found: upstreamProtocol }),
    );
  }
  const refusal = h2cRefusal(
    'l7',
    options,
    POOL_ONLY_OPTIONS,
    'one HTTP/2 session per origin carries every request: no pool to size, no Keep-Alive hint',
  );
  if (refusal !== null) return fail(refusal);
  const r: ResolvedL7Options = {
    listen: options.listen ?? { ...L7_DEFAULTS.listen },
    targets: options.targets,
    name: options.name ?? L7_DEFAULTS.name,
    recorder: options.recorder ?? new Recorder({ keep: false }),
    maxSockets: options.maxSockets ?? L7_DEFAULTS.maxSockets,
    maxIdleSockets: options.maxIdleSockets ?? Math.min(L7_DEFAULTS.maxIdleSockets, options.maxSockets ?? L7_DEFAULTS.maxSockets),
    poolIdleTimeout: options.poolIdleTimeout ?? L7_DEFAULTS.poolIdleTimeout,
    keepAliveHint: options.keepAliveHint ?? L7_DEFAULTS.keepAliveHint,
    keepAliveHintMargin: options.keepAliveHintMargin ?? L7_DEFAULTS.keepAliveHintMargin,
    balance,
    upstreamTimeout: options.upstreamTimeout ?? L7_DEFAULTS.upstreamTimeout,
    headerTimeout: options.headerTimeout ?? L7_DEFAULTS.headerTimeout,
    clientKeepAliveTimeout: options.clientKeepAliveTimeout ?? L7_DEFAULTS.clientKeepAliveTimeout,
    clientTimeout: options.clientTimeout ?? L7_DEFAULTS.clientTimeout,
    maxHeaderSize: options.maxHeaderSize ?? L7_DEFAULTS.maxHeaderSize,
    maxHeaderCount: options.maxHeaderCount ?? L7_DEFAULTS.maxHeaderCount,
    retryStale: options.retryStale ?? L7_DEFAULTS.retryStale,
    closeGraceMs: options.closeGraceMs ?? L7_DEFAULTS.closeGraceMs,
    upstreamProtocol,
  };
  for (const key of Object.keys(MIN) as NumberKey[]) {
    const v = r[key];
    if (!Number.isInteger(v) || v < MIN[key]) return fail(bad(key, `an integer >= ${MIN[key]}`, v));
  }
  if (r.maxIdleSockets > r.maxSockets) {
    return fail(bad('maxIdleSockets', `at most maxSockets (${r.maxSockets})`, r.maxIdleSockets));
  }
  return ok(r);
}
