import { z } from 'zod';
import { durationField } from '@keepalive-lab/core';
import { HAPROXY_PEER, HAPROXY_SESSION_TIMEOUT_MS, haproxyArgs, haproxyConfig, haproxyServers } from './haproxy-config.js';
import { realPeer } from './real-peer.js';
import { upstreamProtocolKnob } from './upstream-protocol.js';

/** HAProxy's `http-reuse` modes, least to most sharing of idle server connections between client sessions. */
export const HAPROXY_REUSE_MODES = ['never', 'safe', 'aggressive', 'always'] as const;

/** The real HAProxy 2.6 in `mode http`: parses each request and response, reuses server connections per `http-reuse`. */
export const haproxy = realPeer({
  kind: 'haproxy',
  layer: 'l7',
  summary: 'HAProxy 2.6 (Debian) in mode http: server connections shared per http-reuse',
  peer: HAPROXY_PEER,
  directivesIn: 'the `backend`',
  knobs: {
    reuse: z.enum(HAPROXY_REUSE_MODES).optional().describe("the backend's http-reuse, default safe (HAProxy's)"),
    keepAliveTimeout: durationField.optional().describe('timeout http-keep-alive: how long an idle client connection is kept'),
    // http-reuse governs h2 server connections too, so reuse stays meaningful with h2c: nothing is refused.
    upstreamProtocol: upstreamProtocolKnob(
      '`proto h2` on each server line; an h2 server connection carries many streams, shared per http-reuse ' +
        '(safe: one per client connection, kept for its streams; always: shared, at most one per HAProxy thread)',
    ),
  },
  // timeout http-keep-alive falls back to timeout client (the lab's config sets it); idle server connections are purged every pool-purge-delay (5s).
  idle: (knobs) => ({
    clientSide: (knobs.keepAliveTimeout as number | undefined) ?? HAPROXY_SESSION_TIMEOUT_MS,
    upstream: 5_000,
    note: 'idle server connections purged gradually (pool-purge-delay)',
  }),
  versionArgs: ['-v'],
  file: 'haproxy.cfg',
  upstreams: haproxyServers,
  generate(knobs, site) {
    const keepAlive = knobs.keepAliveTimeout as number | undefined;
    return haproxyConfig(
      'http',
      site,
      [`http-reuse ${(knobs.reuse as string | undefined) ?? 'safe'}`],
      keepAlive === undefined ? [] : [`timeout http-keep-alive ${keepAlive}ms`],
      knobs.directives as string[] | undefined,
      knobs.upstreamProtocol === 'h2c' ? ['proto h2'] : [],
    );
  },
  args: haproxyArgs,
  // SIGTERM is HAProxy's hard stop (SIGUSR1 the soft one, which waits for sessions).
  stopSignal: 'SIGTERM',
});
