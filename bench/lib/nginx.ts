import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** What the bench prints when nginx is absent: Debian's package, the smallest one with the proxy module. */
export const NGINX_INSTALL_HINT = 'apt-get update && apt-get install -y nginx-light';

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    // Absent or not executable: the caller tries elsewhere or reports nginx missing.
    return false;
  }
}

/**
 * The nginx binary: $LAB_BENCH_NGINX if set (a path; anything not executable
 * there, e.g. `none`, means "no nginx"), else nginx on PATH or in /usr/sbin
 * (root's PATH has it; a user's may not). Null when there is none.
 */
export function findNginx(): string | null {
  const chosen = process.env.LAB_BENCH_NGINX;
  if (chosen !== undefined && chosen !== '') return executable(chosen) ? chosen : null;
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin'];
  for (const dir of dirs) {
    if (dir !== '' && executable(join(dir, 'nginx'))) return join(dir, 'nginx');
  }
  return null;
}

/**
 * One worker in the foreground, no access log, a keep-alive upstream pool of
 * 32 (issue 4's comparison point; the L7 proxy keeps 32 idle per target too).
 * The pool's idle timeout is 4 s: the lab origin closes idle sockets after
 * 5 s + node's 1 s, and the L7 proxy drops them at its hint minus 1 s, so both
 * proxies retire a pooled socket before the origin does. Every path nginx
 * would write is under `dir`, so it needs no /var/lib/nginx and leaves nothing.
 */
export function nginxConfig(dir: string, listenPort: number, originPort: number): string {
  return `daemon off;
master_process off;
worker_processes 1;
error_log stderr warn;
pid ${join(dir, 'nginx.pid')};
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${join(dir, 'client_body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  upstream lab_origin {
    server 127.0.0.1:${originPort};
    keepalive 32;
    keepalive_timeout 4s;
  }
  server {
    listen 127.0.0.1:${listenPort};
    location / {
      proxy_pass http://lab_origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $http_host;
    }
  }
}
`;
}

export interface NginxServer {
  port: number;
  close(): Promise<void>;
}

/** A port the kernel just handed out and we released; nginx cannot listen on port 0 and tell us which. */
async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const a = s.address();
  s.close();
  await once(s, 'close');
  if (a === null || typeof a === 'string') throw new Error('not a TCP address');
  return a.port;
}

/** Resolves once something accepts on the port; rejects if nginx exits first or after `ms`. */
async function waitListening(child: ChildProcess, port: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`nginx exited (${child.exitCode ?? child.signalCode}) before listening`);
    const up = await new Promise<boolean>((resolve) => {
      const sock = connect({ host: '127.0.0.1', port }, () => {
        sock.destroy();
        resolve(true);
      });
      // ECONNREFUSED until nginx has bound: the expected answer while it starts.
      sock.once('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`nginx not listening on ${port} after ${ms} ms`);
}

/** nginx in front of 127.0.0.1:originPort, its config and temp files in a fresh temp dir removed at close. */
export async function startNginx(binary: string, originPort: number): Promise<NginxServer> {
  const dir = await mkdtemp(join(tmpdir(), 'lab-bench-nginx-'));
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  await writeFile(conf, nginxConfig(dir, port, originPort));
  // -e: the error log before the config is read (else nginx opens /var/log/nginx/error.log first).
  const child = spawn(binary, ['-p', dir, '-c', conf, '-e', 'stderr'], { stdio: ['ignore', 'inherit', 'inherit'] });
  const exited = once(child, 'exit');
  try {
    await waitListening(child, port, 5000);
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    port,
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM'); // nginx's fast shutdown
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
