import { once } from 'node:events';
import { existsSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isLabError } from '@keepalive-lab/core';
import { createNginxProxy, type NginxProxy } from '../src/index.js';

// These run the real nginx; where it is absent only the missing-peer test runs.
const NGINX = '/usr/sbin/nginx';
const hasNginx = existsSync(NGINX);
if (!hasNginx) console.warn(`nginx.test.ts: nginx tests skipped, ${NGINX} is absent (apt-get install nginx-light)`);

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A keep-alive origin that answers each request with the remote port of its connection. */
async function origin(): Promise<{ port: number; connPorts: number[] }> {
  const connPorts: number[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    res.end(String(req.socket.remotePort));
  });
  server.on('connection', (s: net.Socket) => connPorts.push(s.remotePort ?? 0));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });
  const a = server.address();
  if (a === null || typeof a === 'string') throw new Error('not a TCP address');
  return { port: a.port, connPorts };
}

async function get(port: number, agent: http.Agent): Promise<{ status: number; body: string }> {
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/', agent }, resolve).once('error', reject);
  });
  let body = '';
  res.setEncoding('utf8');
  for await (const chunk of res) body += String(chunk);
  return { status: res.statusCode ?? 0, body };
}

/** True if the pid names a live process (signal 0 only checks). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    expect((err as NodeJS.ErrnoException).code).toBe('ESRCH');
    return false;
  }
}

/** The error a connect to port gets, or 'connected'. */
function connectResult(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve('connected');
    });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

async function started(proxy: NginxProxy): Promise<number> {
  closers.push(() => proxy.close());
  return (await proxy.listen()).port;
}

describe('createNginxProxy (the real nginx)', () => {
  it('rejects listen() with LAB_ERR_PEER_MISSING and the install command when nginx is absent', async () => {
    const proxy = createNginxProxy({ targets: [{ host: '127.0.0.1', port: 1 }], binary: '/nonexistent/nginx' });
    const err: unknown = await proxy.listen().catch((e: unknown) => e);
    expect(isLabError(err) && err.code).toBe('LAB_ERR_PEER_MISSING');
    expect(isLabError(err) && err.exitCode).toBe(1);
    expect(String(err)).toContain('apt-get install -y nginx-light');
    await proxy.close();
    expect(proxy.pid).toBeNull();
  });

  it.skipIf(!hasNginx)('keepalive 8: two sequential requests share one origin connection', async () => {
    const o = await origin();
    const port = await started(createNginxProxy({ targets: [{ host: '127.0.0.1', port: o.port }], keepalive: 8 }));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    closers.push(async () => agent.destroy());
    const replies = [await get(port, agent), await get(port, agent)];
    expect(replies.map((r) => r.status)).toEqual([200, 200]);
    expect(o.connPorts).toHaveLength(1);
    expect(replies.map((r) => Number(r.body))).toEqual([o.connPorts[0], o.connPorts[0]]);
  });

  it.skipIf(!hasNginx)('keepalive 0: a new origin connection per request', async () => {
    const o = await origin();
    const port = await started(createNginxProxy({ targets: [{ host: '127.0.0.1', port: o.port }], keepalive: 0 }));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    closers.push(async () => agent.destroy());
    const replies = [await get(port, agent), await get(port, agent)];
    expect(replies.map((r) => r.status)).toEqual([200, 200]);
    expect(o.connPorts).toHaveLength(2);
    expect(replies.map((r) => Number(r.body))).toEqual(o.connPorts);
  });

  it.skipIf(!hasNginx)('close() stops the child, frees the port and removes the temp dir; twice is fine', async () => {
    const o = await origin();
    const proxy = createNginxProxy({ targets: [{ host: '127.0.0.1', port: o.port }] });
    const port = await started(proxy);
    const pid = proxy.pid;
    const dir = proxy.dir;
    if (pid === null || dir === null) throw new Error('nginx started without a pid or dir');
    expect(alive(pid)).toBe(true);
    expect(existsSync(dir)).toBe(true);
    expect(await connectResult(port)).toBe('connected');
    await Promise.all([proxy.close(), proxy.close()]);
    expect(alive(pid)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    expect(await connectResult(port)).toBe('ECONNREFUSED');
    await proxy.close();
  });
});
