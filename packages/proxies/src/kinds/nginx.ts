import { join } from 'node:path';
import { countField, durationField, formatEndpoint, type Endpoint } from '@keepalive-lab/core';
import { indentLines } from './peer-config.js';
import { realPeer } from './real-peer.js';

const DEFAULT_KEEPALIVE = 8;
const upstreams = (targets: Endpoint[]): string => targets.map((t) => `    server ${formatEndpoint(t)};`).join('\n');

/**
 * The real nginx (Debian's nginx-light, 1.22): one worker, no daemon, no
 * master, every path under the temp dir, errors to stderr, an access line
 * per request (id, upstream address and status) kept in the run's log. With `keepalive`
 * > 0 the upstream speaks HTTP/1.1 with `Connection` cleared, which nginx
 * needs to reuse upstream connections at all; with 0 the location keeps
 * nginx's defaults before 1.29.7 (HTTP/1.0, `Connection: close`), so each
 * request opens a new upstream connection. `directives:` go in `location /`.
 */
export const nginx = realPeer({
  kind: 'nginx',
  layer: 'l7',
  summary: 'nginx 1.22 (Debian nginx-light): proxy_pass to an upstream with keepalive N',
  peer: { program: 'nginx', envVar: 'LAB_NGINX', debianPackage: 'nginx-light' },
  directivesIn: '`location /` (after the proxy_* lines)',
  knobs: {
    keepalive: countField(0)
      .optional()
      .describe(`idle upstream connections cached per worker (keepalive N), default ${DEFAULT_KEEPALIVE}, 0 = none`),
    keepaliveTimeout: durationField.optional().describe("upstream keepalive_timeout, default nginx's 60s"),
  },
  // Client side: keepalive_timeout (75s, the lab's config leaves it); upstream: the pool's keepalive_timeout, none without keepalive.
  idle: (knobs) => ({
    clientSide: 75_000,
    upstream:
      ((knobs.keepalive as number | undefined) ?? DEFAULT_KEEPALIVE) === 0 ? 0 : ((knobs.keepaliveTimeout as number | undefined) ?? 60_000),
  }),
  versionArgs: ['-v'],
  file: 'nginx.conf',
  upstreams,
  generate(knobs, site) {
    const keepalive = (knobs.keepalive as number | undefined) ?? DEFAULT_KEEPALIVE;
    const timeout = knobs.keepaliveTimeout as number | undefined;
    const pool =
      keepalive > 0 ? `\n    keepalive ${keepalive};${timeout === undefined ? '' : `\n    keepalive_timeout ${timeout}ms;`}` : '';
    const http11 = keepalive > 0 ? '\n      proxy_http_version 1.1;\n      proxy_set_header Connection "";' : '';
    const d = site.dir;
    return `daemon off;
master_process off;
worker_processes 1;
error_log stderr warn;
pid ${join(d, 'nginx.pid')};
events { worker_connections 1024; }
http {
  # One line per request, joined to the lab's records by its id: which upstream(s) it went to, and what came back.
  log_format lab 'id=$http_x_lab_request_id upstream=$upstream_addr upstream_status=$upstream_status status=$status';
  access_log ${join(d, 'access.log')} lab;
  client_body_temp_path ${join(d, 'client_body')};
  proxy_temp_path ${join(d, 'proxy')};
  fastcgi_temp_path ${join(d, 'fastcgi')};
  uwsgi_temp_path ${join(d, 'uwsgi')};
  scgi_temp_path ${join(d, 'scgi')};
  upstream lab_origin {
${upstreams(site.targets)}${pool}
  }
  server {
    listen ${site.host}:${site.port};
    location / {
      proxy_pass http://lab_origin;${http11}
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $http_host;${indentLines(knobs.directives as string[] | undefined, '      ')}
    }
  }
}
`;
  },
  // -e: the error log before the config is read (else nginx opens /var/log/nginx/error.log first).
  args: (conf, site) => ['-p', site.dir, '-c', conf, '-e', 'stderr'],
  // SIGTERM is nginx's fast shutdown (SIGQUIT the graceful one).
  stopSignal: 'SIGTERM',
  logFiles: ['access.log'],
});
