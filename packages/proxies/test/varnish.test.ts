import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChildProxy } from '../src/index.js';
import { varnish as component } from '../src/kinds/varnish.js';
import { closeAll, expectCleanClose, expectPeerMissing, get, started, type Closers } from './helpers/real-proxy-fixture.js';

// These run the real Varnish; where it is absent only the missing-peer test runs.
// Built from the component itself (as peerKind() does from the registry).
const missing = component.missing();
if (missing !== null) console.warn(`varnish tests skipped: ${missing}`);
const installed = missing === null;
const create = async (knobs: Record<string, unknown>, ports: number[], binary?: string) =>
  (await component.create(knobs, { targets: ports.map((port) => ({ host: '127.0.0.1', port })), ...(binary === undefined ? {} : { binary }) })) as ChildProxy;

const closers: Closers = [];
afterEach(() => closeAll(closers));

interface Origin {
  port: number;
  /** The remote port of the connection each request came on, in order. */
  reqPorts: number[];
  /** Remote ports of the connections closed so far. */
  closed: Set<number>;
}

/**
 * An origin that answers each request with the remote port of its connection
 * and records requests (not only connections), with replies a cache would keep. `delayMs`: answer that late;
 * `dropSecond`: destroy a connection when its second request arrives, unanswered.
 */
async function origin(opts: { delayMs?: number; dropSecond?: boolean; hold?: Promise<void> } = {}): Promise<Origin> {
  const o: Origin = { port: 0, reqPorts: [], closed: new Set() };
  const perConn = new Map<net.Socket, number>();
  const server = http.createServer((req, res) => {
    const s = req.socket;
    const n = (perConn.get(s) ?? 0) + 1;
    perConn.set(s, n);
    o.reqPorts.push(s.remotePort ?? 0);
    req.resume();
    if (opts.dropSecond === true && n === 2) return void s.destroy();
    // Cacheable: only the proxy's config keeps it from answering a repeat from its cache.
    res.setHeader('Cache-Control', 'max-age=60');
    const answer = () => setTimeout(() => res.end(String(s.remotePort)), opts.delayMs ?? 0);
    if (opts.hold) void opts.hold.then(answer);
    else answer();
  });
  // Idle closes in these tests must be the proxy's, not node's 5 s default.
  server.keepAliveTimeout = 60_000;
  server.on('connection', (s: net.Socket) => {
    const p = s.remotePort ?? 0;
    s.once('close', () => o.closed.add(p));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });
  o.port = (server.address() as net.AddressInfo).port;
  return o;
}

/** Polls `pred` every 20 ms; false if it still fails after `ms`. */
async function until(pred: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

function keepAliveAgent(): http.Agent {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  closers.push(async () => agent.destroy());
  return agent;
}

describe('proxy kind varnish (the real Varnish)', () => {
  it('rejects listen() with LAB_ERR_PEER_MISSING and the install command when varnishd is absent', async () => {
    await expectPeerMissing(await create({}, [1], '/nonexistent/varnishd'), 'apt-get update && apt-get install -y varnish');
  });

  it.skipIf(!installed)('pass: two identical GETs both reach the origin, on one pooled connection', async () => {
    const o = await origin();
    const port = await started(await create({}, [o.port]), closers);
    const agent = keepAliveAgent();
    const replies = [await get(port, agent), await get(port, agent)];
    expect(replies.map((r) => r.status)).toEqual([200, 200]);
    expect(o.reqPorts).toHaveLength(2);
    expect(new Set(o.reqPorts).size).toBe(1);
    expect(replies.map((r) => Number(r.body))).toEqual(o.reqPorts);
  });

  it.skipIf(!installed)('pool: false → a new origin connection per request', async () => {
    const o = await origin();
    const proxy = await create({ pool: false }, [o.port]);
    const port = await started(proxy, closers);
    const agent = keepAliveAgent();
    const replies = [await get(port, agent), await get(port, agent)];
    expect(replies.map((r) => r.status)).toEqual([200, 200]);
    expect(new Set(o.reqPorts).size).toBe(2);
    expect(replies.map((r) => Number(r.body))).toEqual(o.reqPorts);
    expect(proxy.config).toContain('set bereq.http.Connection = "close";');
  });

  // Timing: Varnish closes the idle connection about 1 s after the reply; its default would keep it 60 s.
  it.skipIf(!installed)('poolIdleTimeout 1s (backend_idle_timeout): the idle origin connection is closed, the next request opens one', async () => {
    const o = await origin();
    const port = await started(await create({ poolIdleTimeout: 1000 }, [o.port]), closers);
    const agent = keepAliveAgent();
    const first = Number((await get(port, agent)).body);
    expect(await until(() => o.closed.has(first), 4000)).toBe(true);
    const second = Number((await get(port, agent)).body);
    expect(second).not.toBe(first);
  });

  // Timing: about 0.5 s; Varnish's default timeout_idle is 5 s, beyond the 3 s allowed here.
  it.skipIf(!installed)('keepAliveTimeout 500ms (timeout_idle): an idle client connection is closed', async () => {
    const o = await origin();
    const port = await started(await create({ keepAliveTimeout: 500 }, [o.port]), closers);
    const s = net.connect({ host: '127.0.0.1', port });
    closers.push(async () => void s.destroy());
    let reply = '';
    s.setEncoding('utf8').on('data', (d: string) => (reply += d));
    const gone = once(s, 'close');
    s.write('GET / HTTP/1.1\r\nHost: lab\r\n\r\n');
    const t0 = Date.now();
    const closed = await Promise.race([gone.then(() => true), new Promise((r) => setTimeout(() => r(false), 3000))]);
    expect(closed).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(400);
    expect(reply).toMatch(/^HTTP\/1\.1 200/);
  });

  it.skipIf(!installed)('maxConnections 1: a second concurrent request gets 503, not a queue', async () => {
    // The origin holds the first answer until the second request has its reply: the two overlap by construction, not by timing.
    let release: () => void = () => undefined;
    const o = await origin({ hold: new Promise<void>((resolve) => (release = resolve)) });
    closers.push(async () => release());
    const port = await started(await create({ maxConnections: 1 }, [o.port]), closers);
    const agent = new http.Agent({ keepAlive: false });
    closers.push(async () => agent.destroy());
    const first = get(port, agent);
    await expect.poll(() => o.reqPorts.length, { timeout: 5000 }).toBe(1);
    const second = await get(port, agent);
    release();
    expect([(await first).status, second.status]).toEqual([200, 503]);
    expect(o.reqPorts).toHaveLength(1);
  });

  // Varnish's own retry: a request without a body that fails on a reused connection before any reply byte is sent again on a new one.
  it.skipIf(!installed)('a GET whose pooled connection the origin drops is retried on a new connection', async () => {
    const o = await origin({ dropSecond: true });
    const port = await started(await create({}, [o.port]), closers);
    const agent = keepAliveAgent();
    const replies = [await get(port, agent), await get(port, agent)];
    expect(replies.map((r) => r.status)).toEqual([200, 200]);
    expect(o.reqPorts).toHaveLength(3);
    expect(o.reqPorts[1]).toBe(o.reqPorts[0]);
    expect(Number(replies[1]?.body)).toBe(o.reqPorts[2]);
    expect(o.reqPorts[2]).not.toBe(o.reqPorts[0]);
  });

  it.skipIf(!installed)('two origins: requests alternate between them (round-robin director)', async () => {
    const a = await origin();
    const b = await origin();
    const proxy = await create({}, [a.port, b.port]);
    const port = await started(proxy, closers);
    const agent = keepAliveAgent();
    await get(port, agent);
    await get(port, agent);
    expect([a.reqPorts.length, b.reqPorts.length]).toEqual([1, 1]);
    expect(proxy.config).toContain('directors.round_robin()');
  });

  it.skipIf(!installed)('directives reach the VCL Varnish runs: a vcl_recv of ours answers 204 without the origin', async () => {
    const o = await origin();
    const proxy = await create({ directives: ['sub vcl_recv {', '  return (synth(204));', '}'] }, [o.port]);
    const port = await started(proxy, closers);
    const agent = new http.Agent({ keepAlive: false });
    closers.push(async () => agent.destroy());
    expect((await get(port, agent)).status).toBe(204);
    expect(o.reqPorts).toHaveLength(0);
    expect(proxy.config).toContain('return (synth(204));');
  });

  it.skipIf(!installed)('close() stops the child, frees the port and removes the temp dir; twice is fine', async () => {
    const o = await origin();
    await expectCleanClose(await create({}, [o.port]), closers);
  });
});
