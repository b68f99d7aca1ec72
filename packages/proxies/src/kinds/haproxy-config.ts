import { LAB_HEADERS, formatEndpoint, type Endpoint } from '@keepalive-lab/core';
import { indentLines, type PeerSite } from './peer-config.js';

/** `timeout client` and `timeout server`, ms: long enough never to fire in a run; the idle timeouts the chain view reports. */
export const HAPROXY_SESSION_TIMEOUT_MS = 30_000;

/** Ample for a lab run, and bounded: HAProxy otherwise sizes maxconn from the fd limit. */
const MAXCONN = 1024;

/** The backend's `server` lines; `options` end each one (`proto h2`). */
export const haproxyServers = (targets: Endpoint[], options: readonly string[] = []): string =>
  targets.map((t, i) => [`  server origin${i} ${formatEndpoint(t)}`, ...options].join(' ')).join('\n');

/**
 * HAProxy's config for both kinds (mode http and mode tcp): one process in
 * the foreground (the child runs with -db), no logging (errors and alerts
 * still reach stderr), round-robin over the origins. The timeouts are
 * HAProxy's required ones, long enough never to fire in a run.
 * `directives:` go in the backend; `serverOptions` end each `server` line.
 */
export function haproxyConfig(
  mode: 'http' | 'tcp',
  site: PeerSite,
  backendLines: string[],
  defaultsLines: string[],
  directives: string[] | undefined,
  serverOptions: readonly string[] = [],
): string {
  const extraDefaults = indentLines(defaultsLines, '  ');
  // mode http: one log line per request to stdout (the lab keeps it), with the request id for the join,
  // the port HAProxy's server-side connection used (%bp: what the origin saw), retries (%rc) and the status.
  const log =
    mode === 'http'
      ? {
          global: '\n  log stdout format raw local0 info',
          defaults: '\n  log global',
          frontend:
            `\n  capture request header ${LAB_HEADERS.requestId} len 64` +
            '\n  log-format "id=%[capture.req.hdr(0)] upstream_port=%bp retries=%rc status=%ST session_end=%ts"',
        }
      : { global: '', defaults: '', frontend: '' };
  return `global
  maxconn ${MAXCONN}${log.global}

defaults
  mode ${mode}${mode === 'http' ? '\n  option forwardfor' : ''}
  timeout connect 5s
  timeout client ${HAPROXY_SESSION_TIMEOUT_MS}ms
  timeout server ${HAPROXY_SESSION_TIMEOUT_MS}ms${log.defaults}${extraDefaults}

frontend lab
  bind ${site.host}:${site.port}${log.frontend}
  default_backend lab_origin

backend lab_origin
  balance roundrobin${indentLines(backendLines, '  ')}${indentLines(directives, '  ')}
${haproxyServers(site.targets, serverOptions)}
`;
}

export const HAPROXY_PEER = { program: 'haproxy', envVar: 'LAB_HAPROXY', debianPackage: 'haproxy' } as const;
/** -db: foreground, no daemon; -f: this config, not /etc/haproxy/haproxy.cfg. */
export const haproxyArgs = (cfg: string): string[] => ['-db', '-f', cfg];
