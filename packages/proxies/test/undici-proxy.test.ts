import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { undiciProxy } from '../src/kinds/undici-proxy.js';
import { agent, request } from './helpers/peer-client.js';
import { barrierOrigin, origin } from './helpers/peer-origin.js';
import { closeAll, get, startProxy, type Closers } from './helpers/real-proxy-fixture.js';

const closers: Closers = [];
afterEach(() => closeAll(closers));

const start = (knobs: Record<string, unknown>, ...ports: number[]) => startProxy(undiciProxy, closers, knobs, ports);

/**
 * Two requests on one keep-alive client connection, `pauseMs` apart, through a
 * proxy with `knobs` to an origin whose Keep-Alive hint is `originKeepAliveTimeout`
 * (0: none): the remote ports of the connections the origin accepted.
 */
async function twoRequests(knobs: Record<string, unknown>, originKeepAliveTimeout: number, pauseMs = 0): Promise<number[]> {
  const o = await origin(closers, undefined, { keepAliveTimeout: originKeepAliveTimeout });
  const { port } = await start(knobs, o.port);
  const keep = agent(closers, true);
  await get(port, keep);
  if (pauseMs > 0) await sleep(pauseMs);
  await get(port, keep);
  return o.connPorts;
}

describe('proxy kind undici-proxy (a node:http proxy on undici Pool)', () => {
  it('reports the package version', async () => {
    expect(await undiciProxy.version()).toMatch(/^6\.\d+\.\d+$/);
    expect(undiciProxy.missing()).toBeNull();
  });

  it('pools by default: sequential requests share one origin connection', async () => {
    const o = await origin(closers);
    const { port } = await start({}, o.port);
    const keep = agent(closers, true);
    const replies = [await get(port, keep), await get(port, keep), await get(port, keep)];
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(o.connPorts).toHaveLength(1);
  });

  it('connections 1: two concurrent client requests use one origin connection; unlimited opens two', async () => {
    const one = await barrierOrigin(closers, 2);
    const limited = await start({ connections: 1 }, one.port);
    await Promise.all([get(limited.port, agent(closers, true)), get(limited.port, agent(closers, true))]);
    expect(one.connPorts).toHaveLength(1);
    expect(one.together).toBe(1);

    const two = await barrierOrigin(closers, 2);
    const unlimited = await start({}, two.port);
    await Promise.all([get(unlimited.port, agent(closers, true)), get(unlimited.port, agent(closers, true))]);
    expect(two.connPorts).toHaveLength(2);
  });

  it('pipelining 2 (connections 1): both requests are at the origin at once, on one connection', async () => {
    const o = await barrierOrigin(closers, 2);
    const { port } = await start({ connections: 1, pipelining: 2 }, o.port);
    await Promise.all([get(port, agent(closers, true)), get(port, agent(closers, true))]);
    expect(o.connPorts).toHaveLength(1);
    expect(o.together).toBe(2);
  });

  it('drops hop-by-hop fields both ways, and those named in Connection', async () => {
    const o = await origin(closers, (req, res) => {
      res.setHeader('Connection', 'x-down');
      res.setHeader('X-Down', 'origin-only');
      res.setHeader('X-End', 'kept');
      res.end(JSON.stringify(req.headers));
    });
    const { port } = await start({}, o.port);
    const reply = await request(port, {
      headers: { Connection: 'keep-alive, x-hop', 'X-Hop': 'secret', 'Proxy-Authorization': 'Basic eDp5', TE: 'trailers', 'X-Kept': 'yes' },
    });
    const seen = JSON.parse(reply.body) as Record<string, string>;
    expect(seen['x-kept']).toBe('yes');
    expect(seen).not.toHaveProperty('x-hop');
    expect(seen).not.toHaveProperty('proxy-authorization');
    expect(seen).not.toHaveProperty('te');
    expect(reply.headers['x-end']).toBe('kept');
    expect(reply.headers).not.toHaveProperty('x-down');
  });

  it('streams a request body up and the answer down', async () => {
    const framing: string[] = [];
    const o = await origin(
      closers,
      (req, res) => {
        framing.push(req.headers['transfer-encoding'] ?? `length ${req.headers['content-length']}`);
        req.pipe(res);
      },
      { drain: false },
    );
    const { port } = await start({}, o.port);
    const body = 'x'.repeat(100_000);
    const chunked = await request(port, { method: 'POST' }, [body, body]);
    const sized = await request(port, { method: 'PUT', headers: { 'Content-Length': String(body.length) } }, body);
    expect([chunked.status, chunked.body.length, sized.status, sized.body.length]).toEqual([200, 2 * body.length, 200, body.length]);
    expect(framing).toEqual(['chunked', `length ${body.length}`]);
  });

  it("honours the origin's Keep-Alive hint minus 2s: timeout=2 means no reuse at all", async () => {
    expect(await twoRequests({}, 2000)).toHaveLength(2);
  });

  // Timing: 100ms knobs against a 300ms pause (undici's defaults are 4s and 3s here).
  it('keepAliveTimeout (origin gives no hint): an idle pooled socket is closed after it', async () => {
    for (const [knobs, conns] of [
      [{ keepAliveTimeout: 100 }, 2],
      [{}, 1],
    ] as const) {
      expect(await twoRequests(knobs, 0, 300), JSON.stringify(knobs)).toHaveLength(conns);
    }
  });

  it("keepAliveMaxTimeout caps the origin's hint (timeout=5)", async () => {
    for (const [knobs, conns] of [
      [{ keepAliveMaxTimeout: 100 }, 2],
      [{}, 1],
    ] as const) {
      expect(await twoRequests(knobs, 5000, 300), JSON.stringify(knobs)).toHaveLength(conns);
    }
  });

  it('no retry: a GET whose pooled connection drops unanswered gets 502, and no second connection is tried', async () => {
    let served = 0;
    const o = await origin(closers, (req, res) => {
      if (++served === 2)
        req.socket.destroy(); // the reused connection dies under the second request
      else res.end('ok');
    });
    const { port } = await start({}, o.port);
    const keep = agent(closers, true);
    expect((await get(port, keep)).status).toBe(200);
    expect((await get(port, keep)).status).toBe(502);
    expect(served).toBe(2);
    expect(o.connPorts).toHaveLength(1);
  });

  it('a client gone before the answer aborts the upstream request (its pooled connection closes)', async () => {
    let upstream: net.Socket | null = null;
    let arrived: () => void = () => {};
    const inOrigin = new Promise<void>((resolve) => (arrived = resolve));
    const o = await origin(closers, (req) => {
      upstream = req.socket;
      arrived();
    });
    const { port } = await start({}, o.port);
    const req = http.get({ host: '127.0.0.1', port, agent: false });
    req.on('error', () => {});
    await inOrigin;
    const gone = once(upstream as unknown as net.Socket, 'close');
    req.destroy();
    await gone;
  }, 5000);

  it('origin down: 502, and the next request is served once it is up again', async () => {
    const o = await origin(closers);
    const { port } = await start({}, o.port);
    const keep = agent(closers, true);
    await closeAll(closers.splice(0, 1)); // the origin only; its port is free now
    expect((await get(port, keep)).status).toBe(502);
    await origin(closers, (_req, res) => res.end('back'), { port: o.port });
    expect(await get(port, keep)).toEqual({ status: 200, body: 'back' });
  });

  it('balances round-robin per request over the targets', async () => {
    const a = await origin(closers);
    const b = await origin(closers);
    const { port } = await start({}, a.port, b.port);
    const keep = agent(closers, true);
    for (let i = 0; i < 4; i++) await get(port, keep);
    expect([a.connPorts.length, b.connPorts.length]).toEqual([1, 1]);
  });

  // Timing: well under ServerBase's 500ms grace, after which it would be destroyed anyway.
  it('close() ends a client connection that never sent a request at once', async () => {
    const o = await origin(closers);
    const { proxy, port } = await start({}, o.port);
    const silent = net.connect(port, '127.0.0.1');
    closers.push(async () => void silent.destroy());
    await once(silent, 'connect');
    silent.resume();
    const t0 = performance.now();
    await proxy.close();
    expect(performance.now() - t0).toBeLessThan(250);
    expect(proxy.openSockets).toBe(0);
  });

  it('close() mid-request: the answer still arrives, then every socket closes at once; twice is fine', async () => {
    let arrived: () => void = () => {};
    const inOrigin = new Promise<void>((resolve) => (arrived = resolve));
    const o = await origin(closers, (_req, res) => {
      arrived();
      setTimeout(() => res.end('late'), 100);
    });
    const { proxy, port } = await start({}, o.port);
    const reply = get(port, agent(closers, true));
    await inOrigin;
    expect(proxy.openSockets).toBe(2);
    const closed = Promise.all([proxy.close(), proxy.close()]);
    expect(await reply).toEqual({ status: 200, body: 'late' });
    const t0 = performance.now();
    await closed;
    expect(performance.now() - t0).toBeLessThan(250); // not ServerBase's 500ms grace
    expect(proxy.openSockets).toBe(0);
    await proxy.close();
  });
});
