import { HAPROXY_PEER, HAPROXY_SESSION_TIMEOUT_MS, haproxyArgs, haproxyConfig, haproxyServers } from './haproxy-config.js';
import { realPeer } from './real-peer.js';

/**
 * The real HAProxy 2.6 in `mode tcp`: a production L4 proxy beside pipe-l4.
 * One server connection per client connection, bytes relayed, no HTTP seen.
 */
export const haproxyTcp = realPeer({
  kind: 'haproxy-tcp',
  layer: 'l4',
  summary: 'HAProxy 2.6 (Debian) in mode tcp: the real L4 proxy, one server connection per client',
  peer: HAPROXY_PEER,
  directivesIn: 'the `backend`',
  knobs: {},
  // timeout client and timeout server end an idle session on both sides.
  idle: () => ({ clientSide: HAPROXY_SESSION_TIMEOUT_MS, upstream: HAPROXY_SESSION_TIMEOUT_MS }),
  versionArgs: ['-v'],
  file: 'haproxy.cfg',
  upstreams: haproxyServers,
  generate: (knobs, site) => haproxyConfig('tcp', site, [], [], knobs.directives as string[] | undefined),
  args: haproxyArgs,
  stopSignal: 'SIGTERM',
});
