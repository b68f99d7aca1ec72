import { join } from 'node:path';
import { countField, durationField, formatEndpoint, type Endpoint } from '@keepalive-lab/core';
import { indentLines } from './peer-config.js';
import { realPeer } from './real-peer.js';
import { refuseWithH2c, upstreamProtocolKnob } from './upstream-protocol.js';

const upstreams = (targets: Endpoint[]): string => targets.map(formatEndpoint).join(' ');
/** Caddyfile durations take Go's units; the lab's arrive in ms. */
const ms = (v: number): string => `${v}ms`;

/**
 * The http transport's pool settings. With `versions h2c` Caddy 2.6 sends
 * every request through a bare golang.org/x/net/http2 Transport that takes
 * none of them (measured: `keepalive off` and `max_conns_per_host 2` still
 * gave one upstream connection, reused), so they are refused with h2c.
 */
const HTTP1_POOL_KNOBS = ['keepalive', 'keepaliveTimeout', 'maxConnsPerHost'] as const;

/**
 * The real Caddy (Debian's caddy, 2.6): a Caddyfile with the admin API and
 * automatic HTTPS off, plain HTTP on host:port, `reverse_proxy` round-robin
 * over the origins through Go's http.Transport (its pool: idle connections
 * per origin, an idle timeout). HOME and the XDG dirs point into the temp
 * dir, where Caddy writes what it keeps (autosave.json, its data dir).
 * `directives:` go in the `reverse_proxy` block.
 */
export const caddy = realPeer({
  kind: 'caddy',
  layer: 'l7',
  summary: 'Caddy 2.6 (Debian): reverse_proxy round-robin over an http transport with a keep-alive pool',
  peer: { program: 'caddy', envVar: 'LAB_CADDY', debianPackage: 'caddy' },
  directivesIn: 'the `reverse_proxy` block',
  knobs: {
    keepalive: countField(0)
      .optional()
      .describe(
        "idle upstream connections kept per origin (keepalive_idle_conns_per_host N), default Caddy's 32; " +
          '0 = keepalive off, a new upstream connection per request',
      ),
    keepaliveTimeout: durationField
      .optional()
      .describe(
        "close a pooled upstream connection idle this long (transport keepalive <duration>), default Caddy's 2m; ignored with keepalive 0",
      ),
    maxConnsPerHost: countField(1)
      .optional()
      .describe('upstream connections per origin, busy and idle (max_conns_per_host), default unlimited'),
    lbTryDuration: durationField
      .optional()
      .describe('keep trying other origins this long after a failure (lb_try_duration), default 0: no retries'),
    lbRetries: countField(0).optional().describe('retries after a failure (lb_retries), default 0'),
    idleTimeout: durationField
      .optional()
      .describe("close an idle client connection after this long (servers timeouts idle), default Caddy's 5m"),
    upstreamProtocol: upstreamProtocolKnob(
      'transport http { versions h2c }: one connection per origin carries every request as a stream, kept until the origin ends it; ' +
        'keepalive, keepaliveTimeout and maxConnsPerHost are refused with it (the h2c transport takes none of them)',
    ),
  },
  // servers timeouts idle (5m) on the client side; the transport's keepalive (2m) upstream, none with keepalive 0;
  // h2c: the http2 Transport has no idle timeout (IdleConnTimeout 0), the connection lasts until the origin ends it.
  idle: (knobs) => ({
    clientSide: (knobs.idleTimeout as number | undefined) ?? 300_000,
    upstream:
      knobs.upstreamProtocol === 'h2c'
        ? Number.POSITIVE_INFINITY
        : knobs.keepalive === 0
          ? 0
          : ((knobs.keepaliveTimeout as number | undefined) ?? 120_000),
  }),
  versionArgs: ['version'],
  file: 'Caddyfile',
  upstreams,
  generate(knobs, site) {
    refuseWithH2c('caddy', knobs, HTTP1_POOL_KNOBS, "Caddy's h2c transport is a bare http2.Transport: no pool settings reach it");
    const keepalive = knobs.keepalive as number | undefined;
    const keepaliveTimeout = knobs.keepaliveTimeout as number | undefined;
    const transport = [
      ...(knobs.upstreamProtocol === 'h2c' ? ['versions h2c'] : []),
      ...(keepalive === 0 ? ['keepalive off'] : []),
      ...(keepalive !== undefined && keepalive > 0 ? [`keepalive_idle_conns_per_host ${keepalive}`] : []),
      ...(keepalive !== 0 && keepaliveTimeout !== undefined ? [`keepalive ${ms(keepaliveTimeout)}`] : []),
      ...(knobs.maxConnsPerHost === undefined ? [] : [`max_conns_per_host ${knobs.maxConnsPerHost as number}`]),
    ];
    const proxy = [
      'lb_policy round_robin',
      ...(knobs.lbTryDuration === undefined ? [] : [`lb_try_duration ${ms(knobs.lbTryDuration as number)}`]),
      ...(knobs.lbRetries === undefined ? [] : [`lb_retries ${knobs.lbRetries as number}`]),
      ...(transport.length === 0 ? [] : ['transport http {', ...transport.map((l) => `\t${l}`), '}']),
    ];
    const idle = knobs.idleTimeout as number | undefined;
    const servers = idle === undefined ? '' : `\n\tservers {\n\t\ttimeouts {\n\t\t\tidle ${ms(idle)}\n\t\t}\n\t}`;
    // `http://:port` + bind: plain HTTP on exactly host:port (a host in the site address would also match on Host).
    return `{
	admin off
	auto_https off${servers}
}

http://:${site.port} {
	bind ${site.host}
	reverse_proxy ${upstreams(site.targets)} {${indentLines(proxy, '\t\t')}${indentLines(knobs.directives as string[] | undefined, '\t\t')}
	}
}
`;
  },
  args: (conf) => ['run', '--config', conf, '--adapter', 'caddyfile'],
  env: (site) => ({ ...process.env, HOME: site.dir, XDG_CONFIG_HOME: join(site.dir, 'config'), XDG_DATA_HOME: join(site.dir, 'data') }),
  // SIGQUIT is Caddy's immediate stop; SIGTERM and SIGINT wait for in-flight requests (forever by default: no grace_period).
  stopSignal: 'SIGQUIT',
});
