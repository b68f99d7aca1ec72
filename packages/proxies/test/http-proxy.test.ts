import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { httpProxy } from '../src/kinds/http-proxy.js';
import { agent, request } from './helpers/peer-client.js';
import { barrierOrigin, origin } from './helpers/peer-origin.js';
import { closeAll, get, portEchoOrigin, startProxy, type Closers } from './helpers/real-proxy-fixture.js';

const closers: Closers = [];
afterEach(() => closeAll(closers));

const start = (knobs: Record<string, unknown>, ...ports: number[]) => startProxy(httpProxy, closers, knobs, ports);

/** Answers with the request's headers as JSON. */
const headerEchoOrigin = async (): Promise<number> => (await origin(closers, (req, res) => res.end(JSON.stringify(req.headers)))).port;

describe('proxy kind http-proxy (node-http-proxy 1.18.1)', () => {
  it('reports the package version', async () => {
    expect(await httpProxy.version()).toBe('1.18.1');
    expect(httpProxy.missing()).toBeNull();
  });

  it('default (no agent): a new origin connection per request, even for one keep-alive client', async () => {
    const o = await portEchoOrigin(closers);
    const { port } = await start({}, o.port);
    const keep = agent(closers, true);
    const replies = [await get(port, keep), await get(port, keep)];
    expect(replies.map((r) => r.status)).toEqual([200, 200]);
    expect(o.connPorts).toHaveLength(2);
    expect(replies.map((r) => Number(r.body))).toEqual(o.connPorts);
  });

  it("default: the origin's Connection: close is copied to the client, whose connection ends too", async () => {
    const o = await portEchoOrigin(closers);
    const { port } = await start({}, o.port);
    const res = await new Promise<http.IncomingMessage>((resolve) =>
      http.get({ host: '127.0.0.1', port, agent: agent(closers, true) }, resolve),
    );
    res.resume();
    await once(res, 'end');
    expect(res.headers.connection).toBe('close');
  });

  it('keepAlive: true: sequential requests share one origin connection', async () => {
    const o = await portEchoOrigin(closers);
    const { port } = await start({ keepAlive: true }, o.port);
    const keep = agent(closers, true);
    const replies = [await get(port, keep), await get(port, keep)];
    expect(replies.map((r) => r.status)).toEqual([200, 200]);
    expect(o.connPorts).toHaveLength(1);
  });

  it('maxSockets 1: two concurrent requests queue for one origin connection; unlimited opens two', async () => {
    const one = await barrierOrigin(closers, 2);
    const limited = await start({ keepAlive: true, maxSockets: 1 }, one.port);
    await Promise.all([get(limited.port, agent(closers, true)), get(limited.port, agent(closers, true))]);
    expect(one.connPorts).toHaveLength(1);
    expect(one.together).toBe(1);

    const two = await barrierOrigin(closers, 2);
    const unlimited = await start({ keepAlive: true }, two.port);
    await Promise.all([get(unlimited.port, agent(closers, true)), get(unlimited.port, agent(closers, true))]);
    expect(two.connPorts).toHaveLength(2);
    expect(two.together).toBe(2);
  });

  it('refuses maxSockets without keepAlive', async () => {
    await expect(httpProxy.create({ maxSockets: 2 }, { targets: [{ host: '127.0.0.1', port: 1 }] })).rejects.toMatchObject({
      code: 'LAB_ERR_USAGE',
    });
  });

  it('xfwd adds X-Forwarded-For; without it there is none', async () => {
    const origin = await headerEchoOrigin();
    const plain = await start({}, origin);
    const xfwd = await start({ xfwd: true }, origin);
    expect(JSON.parse((await request(plain.port, {})).body)).not.toHaveProperty('x-forwarded-for');
    expect(JSON.parse((await request(xfwd.port, {})).body)).toMatchObject({ 'x-forwarded-for': '127.0.0.1', 'x-forwarded-proto': 'http' });
  });

  it('copies hop-by-hop fields: a field the client names in Connection reaches the origin', async () => {
    const origin = await headerEchoOrigin();
    const { port } = await start({ keepAlive: true }, origin);
    const seen = JSON.parse((await request(port, { headers: { Connection: 'keep-alive, x-hop', 'X-Hop': 'secret' } })).body) as Record<
      string,
      string
    >;
    expect(seen['x-hop']).toBe('secret');
    expect(seen.connection).toBe('keep-alive, x-hop');
  });

  it('balances round-robin per request over the targets', async () => {
    const a = await portEchoOrigin(closers);
    const b = await portEchoOrigin(closers);
    const { port } = await start({ keepAlive: true }, a.port, b.port);
    const keep = agent(closers, true);
    for (let i = 0; i < 4; i++) await get(port, keep);
    expect([a.connPorts.length, b.connPorts.length]).toEqual([1, 1]);
  });

  it('origin down: 502, and the next request is served once it is up again', async () => {
    const o = await portEchoOrigin(closers);
    const { port } = await start({}, o.port);
    const keep = agent(closers, true);
    await closeAll(closers.splice(0, 1)); // the origin only; its port is free now
    expect((await get(port, keep)).status).toBe(502);
    await origin(closers, (_req, res) => res.end('back'), { port: o.port });
    expect(await get(port, keep)).toEqual({ status: 200, body: 'back' });
  });

  // Timing: well under ServerBase's 500ms grace, after which it would be destroyed anyway.
  it('close() ends a client connection that never sent a request at once', async () => {
    const o = await portEchoOrigin(closers);
    const { proxy, port } = await start({ keepAlive: true }, o.port);
    const silent = net.connect(port, '127.0.0.1');
    closers.push(async () => void silent.destroy());
    await once(silent, 'connect');
    silent.resume();
    const t0 = performance.now();
    await proxy.close();
    expect(performance.now() - t0).toBeLessThan(250);
    expect(proxy.openSockets).toBe(0);
  });

  // Timing: the pooled socket freed by the answer must close at once, not after ServerBase's 500ms grace.
  it.each([
    {},
    { keepAlive: true },
  ])('close() mid-request (%o): the answer still arrives, then every socket closes at once', async (knobs) => {
    let arrived: () => void = () => {};
    const inOrigin = new Promise<void>((resolve) => (arrived = resolve));
    const o = await origin(closers, (_req, res) => {
      arrived();
      setTimeout(() => res.end('late'), 100);
    });
    const { proxy, port } = await start(knobs, o.port);
    const reply = get(port, agent(closers, true));
    await inOrigin;
    const closed = proxy.close();
    expect(await reply).toEqual({ status: 200, body: 'late' });
    const t0 = performance.now();
    await closed;
    expect(performance.now() - t0).toBeLessThan(250);
    expect(proxy.openSockets).toBe(0);
  });

  it('close(): no socket left, port refused, twice is fine', async () => {
    const o = await portEchoOrigin(closers);
    const { proxy, port } = await start({ keepAlive: true }, o.port);
    const keep = agent(closers, true);
    await get(port, keep);
    expect(proxy.openSockets).toBe(2); // the client's and the pooled upstream one, both idle
    await Promise.all([proxy.close(), proxy.close()]);
    expect(proxy.openSockets).toBe(0);
    expect((await request(port, {}).catch((e: NodeJS.ErrnoException) => ({ status: e.code, body: '' }))).status).toBe('ECONNREFUSED');
    await proxy.close();
  });
});
