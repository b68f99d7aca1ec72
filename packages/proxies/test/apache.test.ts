import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ChildProxy } from '../src/index.js';
import { apache } from '../src/kinds/apache.js';
import { closeAll, expectCleanClose, expectPeerMissing, get, portEchoOrigin, started, type Closers } from './helpers/real-proxy-fixture.js';

// These run the real Apache httpd; where it is absent only the missing-peer tests run.
// Built from the component, as peerKind() does from the registry.
const missing = apache.missing();
if (missing !== null) console.warn(`apache tests skipped: ${missing}`);
const installed = missing === null;
const knobSchema = z.object(apache.knobs).strict();

/** An apache child in front of origins on `ports`, its knobs parsed as a scenario's are (durations → ms). */
const create = async (knobs: Record<string, unknown>, ports: number[], binary?: string): Promise<ChildProxy> =>
  (await apache.create(knobSchema.parse(knobs), {
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

/** An origin on `port` (0: any) answering with `handle`; records the remote port of each connection, and of each closed. */
async function origin(handle: http.RequestListener, port = 0): Promise<{ port: number; connPorts: number[]; closed: number[] }> {
  const connPorts: number[] = [];
  const closed: number[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    handle(req, res);
  });
  server.on('connection', (s: net.Socket) => {
    const remote = s.remotePort ?? 0;
    connPorts.push(remote);
    s.on('close', () => closed.push(remote));
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  closers.push(async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });
  return { port: (server.address() as net.AddressInfo).port, connPorts, closed };
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

describe('proxy kind apache (the real Apache httpd)', () => {
  it('rejects listen() with LAB_ERR_PEER_MISSING and the install command when apache2 is absent', async () => {
    await expectPeerMissing(await create({}, [1], '/nonexistent/apache2'), 'apt-get update && apt-get install -y apache2');
    expect(apache.missing({ LAB_APACHE: 'none' })).toContain('apt-get install -y apache2');
  });

  it('refuses a ttl or retry that is not whole seconds: mod_proxy would read 500ms as 500 s', () => {
    expect(knobSchema.safeParse({ ttl: '500ms' }).success).toBe(false);
    expect(knobSchema.safeParse({ ttl: '0s' }).success).toBe(false);
    expect(knobSchema.safeParse({ retry: '0s', ttl: '2s' }).success).toBe(true);
  });

  it.skipIf(!installed)('default: sequential requests, from one client connection or two, share one origin connection', async () => {
    const o = await portEchoOrigin(closers);
    const port = await started(await create({}, [o.port]), closers);
    const keep = agent(true);
    const replies = [await get(port, keep), await get(port, keep), await get(port, agent(false))];
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(o.connPorts).toHaveLength(1);
    expect(replies.map((r) => Number(r.body))).toEqual([o.connPorts[0], o.connPorts[0], o.connPorts[0]]);
  });

  it.skipIf(!installed)('disablereuse: a new origin connection per request', async () => {
    const o = await portEchoOrigin(closers);
    const port = await started(await create({ disablereuse: true }, [o.port]), closers);
    const keep = agent(true);
    const replies = [await get(port, keep), await get(port, keep)];
    expect(o.connPorts).toHaveLength(2);
    expect(replies.map((r) => Number(r.body))).toEqual(o.connPorts);
  });

  // As HAProxy's http-reuse safe: a client connection's first request gets a connection of its own.
  it.skipIf(!installed)('initialNotPooled: two clients one after the other → two origin connections', async () => {
    const o = await portEchoOrigin(closers);
    const port = await started(await create({ initialNotPooled: true }, [o.port]), closers);
    const replies = [await get(port, agent(false)), await get(port, agent(false))];
    expect(o.connPorts).toHaveLength(2);
    expect(replies.map((r) => Number(r.body))).toEqual(o.connPorts);
  });

  // Two rounds of two concurrent requests to an origin slow enough that both are in flight at once:
  // round one opens two connections; round two reuses what the pool kept.
  it.skipIf(!installed).each([
    { knobs: {}, originConnections: 2 },
    { knobs: { max: 1 }, originConnections: 1 },
    { knobs: { disablereuse: true }, originConnections: 4 },
  ])('$knobs: two rounds of two concurrent requests → $originConnections origin connection(s)', async ({ knobs, originConnections }) => {
    const o = await origin((req, res) => setTimeout(() => res.end('ok'), 100));
    const port = await started(await create(knobs, [o.port]), closers);
    const a = agent(false);
    for (let round = 0; round < 2; round++) expect((await Promise.all([get(port, a), get(port, a)])).map((r) => r.status)).toEqual([200, 200]);
    expect(o.connPorts).toHaveLength(originConnections);
  });

  // ttl is checked when a connection is taken from the pool, not on a timer: the stale one is still open
  // at the origin until the next request comes.
  it.skipIf(!installed)('ttl 1s: a connection idle 1.5 s is replaced at the next request, and only then closed', async () => {
    const o = await origin((req, res) => res.end(String(req.socket.remotePort)));
    const port = await started(await create({ ttl: '1s' }, [o.port]), closers);
    const keep = agent(true);
    await get(port, keep);
    await sleep(1500);
    expect(o.closed).toEqual([]);
    await get(port, keep);
    expect(o.connPorts).toHaveLength(2);
    await expect.poll(() => o.closed, { timeout: 2000 }).toEqual([o.connPorts[0]]);
  });

  // The first origin is down when the balancer first tries it, then comes back: httpd skips a member that
  // failed for retry= (60 s by default), and fails over to the other meanwhile.
  it.skipIf(!installed).each([
    { knobs: {}, back: 0 },
    { knobs: { retry: '0s' }, back: 2 },
  ])('$knobs: an origin back after a failure gets $back of 4 requests', async ({ knobs, back }) => {
    const o = await portEchoOrigin(closers);
    const late = await deadPort();
    const port = await started(await create(knobs, [late, o.port]), closers);
    const a = agent(false);
    expect([(await get(port, a)).status, (await get(port, a)).status]).toEqual([200, 200]);
    await origin((req, res) => res.end('late'), late);
    const replies = [];
    for (let i = 0; i < 4; i++) replies.push((await get(port, a)).body);
    expect(replies.filter((b) => b === 'late')).toHaveLength(back);
  });

  it.skipIf(!installed)('keepAliveTimeout 300ms: httpd closes an idle client connection after it (default 5s)', async () => {
    const o = await portEchoOrigin(closers);
    const port = await started(await create({ keepAliveTimeout: '300ms' }, [o.port]), closers);
    const ms = await idleCloseMs(port, 3000);
    expect(ms).not.toBeNull();
    expect(ms).toBeGreaterThan(200);
  });

  it.skipIf(!installed)('directives reach the VirtualHost httpd runs: Header adds a response header', async () => {
    const o = await portEchoOrigin(closers);
    const proxy = await create({ directives: ['Header always set X-Lab-Directive apache'] }, [o.port]);
    const port = await started(proxy, closers);
    const r = await send(port, agent(false), 'GET');
    expect(r.status).toBe(200);
    expect(r.headers['x-lab-directive']).toBe('apache');
    expect(proxy.config).toMatch(/<VirtualHost [^>]*>[^]*Header always set X-Lab-Directive apache\n<\/VirtualHost>/);
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
  // connection just as the proxy reuses it. httpd never resends: after an earlier request on the client
  // connection it closes that connection unanswered, so the client may resend; on a client's first request, 502.
  it.skipIf(!installed).each([
    { client: 'kept-alive', second: 'ECONNRESET' },
    { client: 'new', second: 502 },
  ])('a pooled connection dropped under a GET on a $client client connection: the client gets $second', async ({ client, second }) => {
    const seen = new Map<net.Socket, number>();
    const o = await origin((req, res) => {
      const n = (seen.get(req.socket) ?? 0) + 1;
      seen.set(req.socket, n);
      if (n === 2) req.socket.destroy();
      else res.end(String(req.socket.remotePort));
    });
    const port = await started(await create({}, [o.port]), closers);
    const keep = agent(true);
    expect((await send(port, keep, 'GET')).status).toBe(200);
    expect((await send(port, client === 'new' ? agent(false) : keep, 'GET')).status).toBe(second);
  });

  it.skipIf(!installed)('close() stops the child, frees the port and removes the temp dir; twice is fine', async () => {
    const o = await portEchoOrigin(closers);
    await expectCleanClose(await create({}, [o.port]), closers);
  });
});
