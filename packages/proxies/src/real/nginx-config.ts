import { join } from 'node:path';
import { formatEndpoint, type Endpoint } from '@keepalive-lab/core';

export interface NginxConfigOptions {
  /** Where every file nginx writes goes (pid, temp paths): nothing lands in /var/lib/nginx. */
  dir: string;
  listenPort: number;
  /** Upstream servers; nginx takes them round-robin. */
  targets: Endpoint[];
  /** Idle upstream connections cached per worker (`keepalive N`); 0 = no cache, nginx's old default. */
  keepalive: number;
  /** Upstream `keepalive_timeout`, ms; absent = nginx's default (60 s). */
  keepaliveTimeoutMs?: number;
}

/**
 * One worker in the foreground, no access log, errors to stderr. With
 * `keepalive` > 0 the upstream speaks HTTP/1.1 with `Connection` cleared,
 * which nginx needs to reuse upstream connections at all; with 0 the location
 * keeps nginx's defaults before 1.29.7 (HTTP/1.0, `Connection: close`), so
 * each request opens a new upstream connection.
 */
export function nginxConfig(o: NginxConfigOptions): string {
  const servers = o.targets.map((t) => `    server ${formatEndpoint(t)};`).join('\n');
  const pool =
    o.keepalive > 0
      ? `\n    keepalive ${o.keepalive};${o.keepaliveTimeoutMs === undefined ? '' : `\n    keepalive_timeout ${o.keepaliveTimeoutMs}ms;`}`
      : '';
  const http11 = o.keepalive > 0 ? '\n      proxy_http_version 1.1;\n      proxy_set_header Connection "";' : '';
  return `daemon off;
master_process off;
worker_processes 1;
error_log stderr warn;
pid ${join(o.dir, 'nginx.pid')};
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${join(o.dir, 'client_body')};
  proxy_temp_path ${join(o.dir, 'proxy')};
  fastcgi_temp_path ${join(o.dir, 'fastcgi')};
  uwsgi_temp_path ${join(o.dir, 'uwsgi')};
  scgi_temp_path ${join(o.dir, 'scgi')};
  upstream lab_origin {
${servers}${pool}
  }
  server {
    listen 127.0.0.1:${o.listenPort};
    location / {
      proxy_pass http://lab_origin;${http11}
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $http_host;
    }
  }
}
`;
}
