import { Command } from 'commander';
import { LabError, formatDuration, parseDuration, type Endpoint, type Recorder } from '@keepalive-lab/core';
import { BALANCE_MODES, L7_DEFAULTS, UPSTREAM_PROTOCOLS, resolveL7Options, type L7ProxyOptions } from '@keepalive-lab/proxies';
import { oneOf, usageError } from '../flag-errors.js';

/**
 * The knobs of `lab proxy l7`. Values stay undefined unless given, so the
 * library's L7_DEFAULTS are the one source of defaults; the help text shows
 * them.
 */
export function addL7Options(cmd: Command): void {
  const d = L7_DEFAULTS;
  cmd
    .option('--max-sockets <n>', `l7: upstream sockets per target, busy and idle (default ${d.maxSockets})`)
    .option('--max-idle-sockets <n>', `l7: idle sockets kept per target (default ${d.maxIdleSockets})`)
    .option('--pool-idle-timeout <duration>', `l7: close a pooled socket idle this long (default ${formatDuration(d.poolIdleTimeout)})`)
    .option('--no-keep-alive-hint', "l7: ignore the origin's `Keep-Alive: timeout=N` (by default a pooled socket expires before it)")
    .option(
      '--keep-alive-hint-margin <duration>',
      `l7: expire a pooled socket this long before the origin's hint (default ${formatDuration(d.keepAliveHintMargin)})`,
    )
    .option('--balance <mode>', `l7: per-request balancing, ${BALANCE_MODES.join(' | ')} (default ${d.balance})`)
    .option('--upstream-timeout <duration>', `l7: 504 when the origin is silent this long (default ${formatDuration(d.upstreamTimeout)})`)
    .option('--header-timeout <duration>', `l7: 408 when a request head takes longer (default ${formatDuration(d.headerTimeout)})`)
    .option(
      '--client-keep-alive-timeout <duration>',
      `l7: close an idle client connection after this (default ${formatDuration(d.clientKeepAliveTimeout)})`,
    )
    .option(
      '--client-timeout <duration>',
      `l7: drop a client silent this long mid-request, 0ms = never (default ${formatDuration(d.clientTimeout)})`,
    )
    .option('--max-header-size <bytes>', `l7: 431 for a larger request head (default ${d.maxHeaderSize})`)
    .option('--max-header-count <n>', `l7: 431 for more header fields (default ${d.maxHeaderCount})`)
    .option('--no-retry-stale', 'l7: never retry, even an idempotent request on a stale pooled socket (knob retryStale)')
    .option(
      '--upstream-protocol <protocol>',
      `l7, haproxy, caddy: ${UPSTREAM_PROTOCOLS.join(' | ')} to the origins; ` +
        `l7's h2c: one HTTP/2 session per origin, without the pool's flags (default ${d.upstreamProtocol})`,
    );
}

/** Every flag addL7Options adds (read off a scratch command, so the list cannot fall behind it). */
export const L7_FLAGS: readonly string[] = (() => {
  const scratch = new Command();
  addL7Options(scratch);
  return scratch.options.map((o) => (o.long ?? '').replace(/^--no-/, '--'));
})();

/** The flags as commander leaves them: strings, or undefined when not given. */
export interface L7Flags {
  maxSockets?: unknown;
  maxIdleSockets?: unknown;
  poolIdleTimeout?: unknown;
  keepAliveHint?: unknown;
  keepAliveHintMargin?: unknown;
  balance?: unknown;
  upstreamTimeout?: unknown;
  headerTimeout?: unknown;
  clientKeepAliveTimeout?: unknown;
  clientTimeout?: unknown;
  maxHeaderSize?: unknown;
  maxHeaderCount?: unknown;
  retryStale?: unknown;
  upstreamProtocol?: unknown;
  /** The proxy command's other flags (--listen, --json...) pass through untouched. */
  [flag: string]: unknown;
}

/** The shared part the proxy command already parsed. */
export interface CommonProxyOptions {
  listen?: Endpoint;
  targets: Endpoint[];
  recorder?: Recorder;
  name?: string;
}

/** Option name → the flag that sets it, so a library error names what the user typed. */
const FLAG_OF: Record<string, string> = {
  maxSockets: '--max-sockets',
  maxIdleSockets: '--max-idle-sockets',
  poolIdleTimeout: '--pool-idle-timeout',
  keepAliveHintMargin: '--keep-alive-hint-margin',
  balance: '--balance',
  upstreamTimeout: '--upstream-timeout',
  headerTimeout: '--header-timeout',
  clientKeepAliveTimeout: '--client-keep-alive-timeout',
  clientTimeout: '--client-timeout',
  maxHeaderSize: '--max-header-size',
  maxHeaderCount: '--max-header-count',
  keepAliveHint: '--no-keep-alive-hint',
  upstreamProtocol: '--upstream-protocol',
  targets: '--target',
};

function whole(value: unknown, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^\d+$/.test(value)) throw usageError(flag, 'a whole number', value);
  return Number(value);
}

function duration(value: unknown, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const r = parseDuration(value, flag);
  if (!r.ok) throw r.error;
  return r.value;
}

const choice = <T extends string>(flag: string, value: unknown, choices: readonly T[]): T | undefined =>
  value === undefined ? undefined : oneOf(flag, value, choices);

/** Maps parsed flags to L7ProxyOptions; every value is checked here, and a bad one names its flag. */
export function l7OptionsFromFlags(common: CommonProxyOptions, flags: L7Flags): L7ProxyOptions {
  const options: L7ProxyOptions = {
    ...common,
    maxSockets: whole(flags.maxSockets, '--max-sockets'),
    maxIdleSockets: whole(flags.maxIdleSockets, '--max-idle-sockets'),
    poolIdleTimeout: duration(flags.poolIdleTimeout, '--pool-idle-timeout'),
    // Set only by --no-keep-alive-hint: h2c refuses the hint's options, so none is passed that nobody gave.
    keepAliveHint: flags.keepAliveHint === false ? false : undefined,
    keepAliveHintMargin: duration(flags.keepAliveHintMargin, '--keep-alive-hint-margin'),
    balance: choice('--balance', flags.balance, BALANCE_MODES),
    upstreamTimeout: duration(flags.upstreamTimeout, '--upstream-timeout'),
    headerTimeout: duration(flags.headerTimeout, '--header-timeout'),
    clientKeepAliveTimeout: duration(flags.clientKeepAliveTimeout, '--client-keep-alive-timeout'),
    clientTimeout: duration(flags.clientTimeout, '--client-timeout'),
    maxHeaderSize: whole(flags.maxHeaderSize, '--max-header-size'),
    maxHeaderCount: whole(flags.maxHeaderCount, '--max-header-count'),
    retryStale: flags.retryStale !== false,
    upstreamProtocol: choice('--upstream-protocol', flags.upstreamProtocol, UPSTREAM_PROTOCOLS),
  };
  // The library checks bounds and relations (idle ≤ max; h2c without the pool's flags); its error is renamed to
  // the flag. Both upstream protocols pass here: l7-fast refuses h2c when it is built (createProxy).
  const r = resolveL7Options(options, UPSTREAM_PROTOCOLS);
  if (!r.ok) {
    const path = r.error.details.path ?? '';
    const flag = FLAG_OF[path] ?? path;
    throw new LabError(
      'LAB_ERR_USAGE',
      r.error.message.replace(`l7 proxy option ${path}`, flag),
      { ...r.error.details, path: flag },
      { cause: r.error },
    );
  }
  return options;
}
