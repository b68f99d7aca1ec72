import { once } from 'node:events';
import { existsSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ChildProxy } from '../src/index.js';
import { caddy } from '../src/kinds/caddy.js';
import { closeAll, expectCleanClose, expectPeerMissing, get, portEchoOrigin, started, type Closers } from './helpers/real-proxy-fixture.js';

// These run the real Caddy; where it is absent only the missing-peer tests run.
// Built from the component, as peerKind() does from the registry.
const missing = caddy.missing();
if (missing !== null) console.warn(`caddy tests skipped: ${missing}`);
const installed = missing === null;

/** A caddy child in front of origins on `ports`, its knobs parsed as a scenario's are (durations → ms). */
const create = async (knobs: Record<string, unknown>, ports: number[], binary?: string): Promise<ChildProxy> =>
  (await caddy.create(z.object(caddy.knobs).strict().parse(knobs), {
    targets: ports.map((port) => ({ host: '127.0.0.1', port })),
    ...(binary === undefined ? {} : { binary }),
  })) as ChildProxy;

const closers: Closers = [];
afterEach(() => closeAll(closers));

function agent(keepAlive: boolean): http.Agent {
  const a = new http.Agent({ keepAlive, ...(keepAlive ? { maxSockets: 1 } : {}) });
  closers.push(async () => a.destroy());
  return a;
}

/** An origin answering with `handle`; records the remote port of each connection. */
async function origin(handle: http.RequestListener): Promise<{ port: number; connPorts: number[] }> {
  const connPorts: number[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    handle(req, res);
  });
  server.on('connection', (s: net.Socket) => connPorts.push(s.remotePort ?? 0));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });
  return { port: (server.address() as net.AddressInfo).port, connPorts };
}

/** A request with any method; the status, or the client-side error code when no response came. */
function send(port: number, a: http.Agent, method: string): Promise<{ status: number | string; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/', method, agent: a }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ status: err.code ?? err.message, body: '', headers: {} }));
    req.end(method === 'POST' ? 'x' : undefined);
  });
}

/** A port nothing listens on (just released). */
async function deadPort(): Promise<number> {
  const s = net.createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as net.AddressInfo;
  s.close();
  await once(s, 'close');
  return port;
}

/** ms from a keep-alive response to the proxy closing that client connection; null if still open after `cap` ms. */
async function idleCloseMs(port: number, cap: number): Promise<number | null> {
  const s = net.connect({ host: '127.0.0.1', port });
  s.on('error', () => undefined /* a reset also ends the wait */);
  await once(s, 'connect');
  s.write('GET / HTTP/1.1\r\nHost: lab\r\n\r\n');
  await once(s, 'data');
  s.resume();
  const t = performance.now();
  const ac = new AbortController();
  const closed = once(s, 'close').then(() => performance.now() - t);
  const r = await Promise.race([closed, sleep(cap, null, { signal: ac.signal }).catch(() => null)]);
  ac.abort();
  s.destroy();
  return r;
}

describe('proxy kind caddy (the real Caddy)', () => {
  it('rejects listen() with LAB_ERR_PEER_MISSING and the install command when caddy is absent', async () => {
    await expectPeerMissing(await create({}, [1], '/nonexistent/caddy'), 'apt-get update && apt-get install -y caddy');
    expect(caddy.missing({ LAB_CADDY: 'none' })).toContain('apt-get install -y caddy');
  });

  it.skipIf(!installed)('default: sequential requests, from one client connection or two, share one origin connection', async () => {
    const o = await portEchoOrigin(closers);
    const proxy = await create({}, [o.port]);
    const port = await started(proxy, closers);
    const keep = agent(true);
    const replies = [await get(port, keep), await get(port, keep), await get(port, agent(false))];
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(o.connPorts).toHaveLength(1);
    expect(replies.map((r) => Number(r.body))).toEqual([o.connPorts[0], o.connPorts[0], o.connPorts[0]]);
    // HOME and XDG_CONFIG_HOME in the temp dir: Caddy's autosave lands there, not in /root.
    await expect.poll(() => existsSync(join(proxy.dir ?? '', 'config', 'caddy', 'autosave.json'))).toBe(true);
  });

  it.skipIf(!installed)('keepalive 0 (keepalive off): a new origin connection per request', async () => {
    const o = await portEchoOrigin(closers);
    const port = await started(await create({ keepalive: 0 }, [o.port]), closers);
    const keep = agent(true);
    const replies = [await get(port, keep), await get(port, keep)];
    expect(o.connPorts).toHaveLength(2);
    expect(replies.map((r) => Number(r.body))).toEqual(o.connPorts);
  });

  // Two rounds of two concurrent requests to an origin slow enough that both are in flight at once:
  // round one opens two connections; round two reuses what the pool kept.
  it.skipIf(!installed).each([
    { knobs: {}, originConnections: 2 },
    { knobs: { keepalive: 1 }, originConnections: 3 },
    { knobs: { maxConnsPerHost: 1 }, originConnections: 1 },
  ])('$knobs: two rounds of two concurrent requests → $originConnections origin connection(s)', async ({ knobs, originConnections }) => {
    const o = await origin((req, res) => setTimeout(() => res.end('ok'), 100));
    const port = await started(await create(knobs, [o.port]), closers);
    const a = agent(false);
    for (let round = 0; round < 2; round++) expect((await Promise.all([get(port, a), get(port, a)])).map((r) => r.status)).toEqual([200, 200]);
    expect(o.connPorts).toHaveLength(originConnections);
  });

  it.skipIf(!installed)('keepaliveTimeout 200ms: a connection idle 1 s is gone, the next request opens another', async () => {
    const o = await portEchoOrigin(closers);
    const port = await started(await create({ keepaliveTimeout: '200ms' }, [o.port]), closers);
    const keep = agent(true);
    await get(port, keep);
    await sleep(1000);
    await get(port, keep);
    expect(o.connPorts).toHaveLength(2);
  });

  // One origin refuses connections; round robin sends every other request there.
  it.skipIf(!installed).each([
    { knobs: {}, statuses: [200, 502] },
    { knobs: { lbRetries: 1 }, statuses: [200] },
    { knobs: { lbTryDuration: '1s' }, statuses: [200] },
  ])('$knobs with a dead origin: replies are $statuses', async ({ knobs, statuses }) => {
    const o = await portEchoOrigin(closers);
    const port = await started(await create(knobs, [await deadPort(), o.port]), closers);
    const a = agent(false);
    const replies = [];
    for (let i = 0; i < 4; i++) replies.push((await get(port, a)).status);
    expect([...new Set(replies)].sort()).toEqual(statuses);
  });

  it.skipIf(!installed)('idleTimeout 300ms: Caddy closes an idle client connection after it (default 5m)', async () => {
    const o = await portEchoOrigin(closers);
    const port = await started(await create({ idleTimeout: '300ms' }, [o.port]), closers);
    const ms = await idleCloseMs(port, 3000);
    expect(ms).not.toBeNull();
    expect(ms).toBeGreaterThan(200);
  });

  it.skipIf(!installed)('directives reach the reverse_proxy block Caddy runs: header_down adds a response header', async () => {
    const o = await portEchoOrigin(closers);
    const proxy = await create({ directives: ['header_down X-Lab-Directive caddy'] }, [o.port]);
    const port = await started(proxy, closers);
    const r = await send(port, agent(false), 'GET');
    expect(r.status).toBe(200);
    expect(r.headers['x-lab-directive']).toBe('caddy');
    expect(proxy.config).toMatch(/reverse_proxy [^{]*\{[^}]*header_down X-Lab-Directive caddy/);
  });

  it.skipIf(!installed)("ignores the origin's Keep-Alive: timeout=1 hint: reuses the connection 1.5 s later", async () => {
    const o = await origin((req, res) => {
      res.setHeader('Keep-Alive', 'timeout=1');
      res.end(String(req.socket.remotePort));
    });
    const port = await started(await create({}, [o.port]), closers);
    const keep = agent(true);
    await get(port, keep);
    await sleep(1500);
    await get(port, keep);
    expect(o.connPorts).toHaveLength(1);
  });

  // The origin reads the second request on a connection and closes it unanswered, as one closing an idle
  // connection just as the proxy reuses it. Go's transport replays a GET on a new connection; not a POST.
  it.skipIf(!installed).each([
    { method: 'GET', second: 200 },
    { method: 'POST', second: 502 },
  ])('a pooled connection dropped under a $method: the client gets $second', async ({ method, second }) => {
    const seen = new Map<net.Socket, number>();
    const o = await origin((req, res) => {
      const n = (seen.get(req.socket) ?? 0) + 1;
      seen.set(req.socket, n);
      if (n === 2) req.socket.destroy();
      else res.end(String(req.socket.remotePort));
    });
    const port = await started(await create({}, [o.port]), closers);
    const keep = agent(true);
    expect((await send(port, keep, method)).status).toBe(200);
    expect((await send(port, keep, method)).status).toBe(second);
  });

  it.skipIf(!installed)('close() stops the child, frees the port and removes the temp dir; twice is fine', async () => {
    const o = await portEchoOrigin(closers);
    await expectCleanClose(await create({}, [o.port]), closers);
  });
});
