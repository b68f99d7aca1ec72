import { chmod } from 'node:fs/promises';
import { basename } from 'node:path';
import { z } from 'zod';
import { countField, durationField, type Endpoint } from '@keepalive-lab/core';
import { realPeer } from './real-peer.js';

/**
 * One parent per origin. no-digest, no-netdb-exchange: else Squid fetches
 * /squid-internal-periodic/store_digest from the origin on a connection of
 * its own, which the lab would count as the client's.
 */
const peers = (targets: Endpoint[]): string =>
  targets
    .map((t, i) => `cache_peer ${t.host} parent ${t.port} 0 no-query no-digest no-netdb-exchange originserver round-robin name=origin${i}`)
    .join('\n');

/** Squid's timeouts take whole seconds (`milliseconds` is refused as too small a unit). */
const wholeSeconds = durationField.refine((ms) => ms % 1000 === 0, 'whole seconds (Squid takes no smaller unit)');
const onOff = (v: unknown, directive: string): string[] => (v === undefined ? [] : [`${directive} ${v === true ? 'on' : 'off'}`]);
const secs = (v: unknown, directive: string): string[] => (v === undefined ? [] : [`${directive} ${(v as number) / 1000} seconds`]);

/**
 * The real Squid 5.7 (Debian) as a reverse proxy (accelerator) that caches
 * nothing (`cache deny all`: the lab counts what reaches the origin; a hit
 * would hide it), memory only, every file under the temp dir or none.
 * `directives:` go after the lab's settings (a single-valued directive of
 * yours wins: Squid keeps the last) and before its access rules (a rule of
 * yours wins: Squid takes the first match).
 */
export const squid = realPeer({
  kind: 'squid',
  layer: 'l7',
  summary: 'Squid 5.7 (Debian) as an accelerator: nothing cached, origin connections pooled',
  peer: { program: 'squid', envVar: 'LAB_SQUID', debianPackage: 'squid' },
  directivesIn: "squid.conf, after the lab's settings and before its `cache`/`never_direct`/`http_access` rules",
  knobs: {
    pool: z.boolean().optional().describe('server_persistent_connections: reuse origin connections, default on'),
    poolIdleTimeout: wholeSeconds
      .optional()
      .describe("server_idle_pconn_timeout: close a pooled origin connection idle this long, default Squid's 1m"),
    clientKeepAlive: z
      .boolean()
      .optional()
      .describe('client_persistent_connections: keep client connections open between requests, default on'),
    keepAliveTimeout: wholeSeconds
      .optional()
      .describe("client_idle_pconn_timeout: how long an idle client connection is kept, default Squid's 2m"),
    forwardMaxTries: countField(1)
      .optional()
      .describe('forward_max_tries: attempts per request, default 25; 1 = no retry after a pooled connection fails'),
  },
  // client_idle_pconn_timeout (2m) and server_idle_pconn_timeout (1m).
  idle: (knobs) => ({
    clientSide: knobs.clientKeepAlive === false ? 0 : ((knobs.keepAliveTimeout as number | undefined) ?? 120_000),
    upstream: knobs.pool === false ? 0 : ((knobs.poolIdleTimeout as number | undefined) ?? 60_000),
  }),
  versionArgs: ['-v'],
  file: 'squid.conf',
  upstreams: peers,
  generate(knobs, site) {
    const keepAlive = [
      ...onOff(knobs.pool, 'server_persistent_connections'),
      ...secs(knobs.poolIdleTimeout, 'server_idle_pconn_timeout'),
      ...onOff(knobs.clientKeepAlive, 'client_persistent_connections'),
      ...secs(knobs.keepAliveTimeout, 'client_idle_pconn_timeout'),
      ...(knobs.forwardMaxTries === undefined ? [] : [`forward_max_tries ${knobs.forwardMaxTries as number}`]),
    ];
    const lines = [
      // vhost: the client's Host goes to the origin (as with nginx); lab when it sends none.
      `http_port ${site.host}:${site.port} accel vhost defaultsite=lab`,
      peers(site.targets),
      // Names it in Via and error pages; per port, so two lab Squids in a chain do not take each other's Via for a loop.
      `visible_hostname lab-squid-${site.port}`,
      'pid_filename none',
      // Squid writes cache_log as its own user; its messages reach the lab on stderr (-d 1).
      'cache_log /dev/null',
      'access_log none',
      `coredump_dir ${site.dir}`,
      'netdb_filename none',
      'pinger_enable off',
      'cache_mem 8 MB',
      // Origins are addresses, so no lookups; should one happen, it stays on loopback.
      'dns_nameservers 127.0.0.1',
      'udp_outgoing_address 127.0.0.1',
      // SIGINT (the lab's stop) already skips it; for a SIGTERM from elsewhere.
      'shutdown_lifetime 0 seconds',
      ...keepAlive,
      ...((knobs.directives as string[] | undefined) ?? []),
      'cache deny all',
      // Only the origins: never DIRECT to whatever the Host names.
      'never_direct allow all',
      // It listens on loopback only.
      'http_access allow all',
    ];
    return `${lines.join('\n')}\n`;
  },
  // As root Squid runs as user proxy: it must be able to enter the temp dir (its coredump_dir); it writes nothing there.
  prepare: (site) => chmod(site.dir, 0o711),
  // -N: foreground, one process; -d 1: its log on stderr. -n: its shared-memory segments
  // (/dev/shm/<name>-cf__*.shm, removed at a clean exit) are this run's, not those of another Squid.
  args: (conf, site) => ['-N', '-d', '1', '-n', basename(site.dir).replace(/[^A-Za-z0-9]/g, ''), '-f', conf],
  // SIGINT: shut down without waiting shutdown_lifetime (SIGTERM waits it). Squid still takes 1–2 s to exit.
  stopSignal: 'SIGINT',
});
