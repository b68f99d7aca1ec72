import { formatEndpoint, type Endpoint } from '@keepalive-lab/core';

/** HAProxy's `http-reuse` modes, least to most sharing of idle server connections between client sessions. */
export const HAPROXY_REUSE_MODES = ['never', 'safe', 'aggressive', 'always'] as const;
export type HaproxyReuse = (typeof HAPROXY_REUSE_MODES)[number];

export interface HaproxyConfigOptions {
  host: string;
  listenPort: number;
  /** Origins, as the backend's servers; HAProxy takes them round-robin. */
  targets: Endpoint[];
  reuse: HaproxyReuse;
  /** `timeout http-keep-alive`, ms: how long HAProxy waits for a client's next request on a kept-alive connection. */
  keepAliveTimeoutMs?: number;
}

/** Ample for a lab run, and bounded: HAProxy otherwise sizes maxconn from the fd limit. */
const MAXCONN = 1024;

/**
 * One process in the foreground (no `daemon`; the child runs with -db), no
 * logging (errors and alerts still reach stderr), HTTP mode so HAProxy parses
 * each request and response and can reuse server connections per `http-reuse`.
 * The timeouts are HAProxy's required ones, long enough never to fire in a run.
 */
export function haproxyConfig(o: HaproxyConfigOptions): string {
  const servers = o.targets.map((t, i) => `  server origin${i} ${formatEndpoint(t)}`).join('\n');
  const keepAlive = o.keepAliveTimeoutMs === undefined ? '' : `\n  timeout http-keep-alive ${o.keepAliveTimeoutMs}ms`;
  return `global
  maxconn ${MAXCONN}

defaults
  mode http
  option forwardfor
  timeout connect 5s
  timeout client 30s
  timeout server 30s${keepAlive}

frontend lab
  bind ${o.host}:${o.listenPort}
  default_backend lab_origin

backend lab_origin
  balance roundrobin
  http-reuse ${o.reuse}
${servers}
`;
}
