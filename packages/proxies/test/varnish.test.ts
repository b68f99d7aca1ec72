import { afterEach, describe, expect, it } from 'vitest';
import { varnish } from '../src/kinds/varnish.js';
import { agent, idleClient } from './helpers/peer-client.js';
import { cacheableOrigin } from './helpers/peer-origin.js';
import {
  closeAll,
  expectCleanClose,
  expectPeerMissing,
  get,
  peerComponent,
  started,
  until,
  type Closers,
} from './helpers/real-proxy-fixture.js';

// These run the real Varnish; where it is absent only the missing-peer test runs.
// Built from the component itself (as peerKind() does from the registry).
const { installed, create } = peerComponent(varnish);

const closers: Closers = [];
afterEach(() => closeAll(closers));

describe('proxy kind varnish (the real Varnish)', () => {
  it('rejects listen() with LAB_ERR_PEER_MISSING and the install command when varnishd is absent', async () => {
    await expectPeerMissing(await create({}, [1], '/nonexistent/varnishd'), 'apt-get update && apt-get install -y varnish');
  });

  it.skipIf(!installed)('pass: two identical GETs both reach the origin, on one pooled connection', async () => {
    const o = await cacheableOrigin(closers);
    const port = await started(await create({}, [o.port]), closers);
    const keep = agent(closers, true);
    const replies = [await get(port, keep), await get(port, keep)];
    expect(replies.map((r) => r.status)).toEqual([200, 200]);
    expect(o.reqPorts).toHaveLength(2);
    expect(new Set(o.reqPorts).size).toBe(1);
    expect(replies.map((r) => Number(r.body))).toEqual(o.reqPorts);
  });

  it.skipIf(!installed)('pool: false → a new origin connection per request', async () => {
    const o = await cacheableOrigin(closers);
    const proxy = await create({ pool: false }, [o.port]);
    const port = await started(proxy, closers);
    const keep = agent(closers, true);
    const replies = [await get(port, keep), await get(port, keep)];
    expect(replies.map((r) => r.status)).toEqual([200, 200]);
    expect(new Set(o.reqPorts).size).toBe(2);
    expect(replies.map((r) => Number(r.body))).toEqual(o.reqPorts);
    expect(proxy.config).toContain('set bereq.http.Connection = "close";');
  });

  // Timing: Varnish closes the idle connection about 1 s after the reply; its default would keep it 60 s.
  it.skipIf(!installed)(
    'poolIdleTimeout 1s (backend_idle_timeout): the idle origin connection is closed, the next request opens one',
    async () => {
      const o = await cacheableOrigin(closers);
      const port = await started(await create({ poolIdleTimeout: 1000 }, [o.port]), closers);
      const keep = agent(closers, true);
      const first = Number((await get(port, keep)).body);
      expect(await until(() => o.closed.includes(first), 4000)).toBe(true);
      const second = Number((await get(port, keep)).body);
      expect(second).not.toBe(first);
    },
  );

  // Timing: about 0.5 s; Varnish's default timeout_idle is 5 s, beyond the 3 s allowed here.
  it.skipIf(!installed)('keepAliveTimeout 500ms (timeout_idle): an idle client connection is closed', async () => {
    const o = await cacheableOrigin(closers);
    const port = await started(await create({ keepAliveTimeout: 500 }, [o.port]), closers);
    const { closed, reply, afterMs } = await idleClient(closers, port, 3000);
    expect(closed).toBe(true);
    expect(afterMs).toBeGreaterThanOrEqual(400);
    expect(reply).toMatch(/^HTTP\/1\.1 200/);
  });

  it.skipIf(!installed)('maxConnections 1: a second concurrent request gets 503, not a queue', async () => {
    // The origin holds the first answer until the second request has its reply: the two overlap by construction, not by timing.
    let release: () => void = () => undefined;
    const o = await cacheableOrigin(closers, { hold: new Promise<void>((resolve) => (release = resolve)) });
    closers.push(async () => release());
    const port = await started(await create({ maxConnections: 1 }, [o.port]), closers);
    const a = agent(closers, false);
    const first = get(port, a);
    await expect.poll(() => o.reqPorts.length, { timeout: 5000 }).toBe(1);
    const second = await get(port, a);
    release();
    expect([(await first).status, second.status]).toEqual([200, 503]);
    expect(o.reqPorts).toHaveLength(1);
  });

  // Varnish's own retry: a request without a body that fails on a reused connection before any reply byte is sent again on a new one.
  it.skipIf(!installed)('a GET whose pooled connection the origin drops is retried on a new connection', async () => {
    const o = await cacheableOrigin(closers, { dropSecond: true });
    const port = await started(await create({}, [o.port]), closers);
    const keep = agent(closers, true);
    const replies = [await get(port, keep), await get(port, keep)];
    expect(replies.map((r) => r.status)).toEqual([200, 200]);
    expect(o.reqPorts).toHaveLength(3);
    expect(o.reqPorts[1]).toBe(o.reqPorts[0]);
    expect(Number(replies[1]?.body)).toBe(o.reqPorts[2]);
    expect(o.reqPorts[2]).not.toBe(o.reqPorts[0]);
  });

  it.skipIf(!installed)('two origins: requests alternate between them (round-robin director)', async () => {
    const a = await cacheableOrigin(closers);
    const b = await cacheableOrigin(closers);
    const proxy = await create({}, [a.port, b.port]);
    const port = await started(proxy, closers);
    const keep = agent(closers, true);
    await get(port, keep);
    await get(port, keep);
    expect([a.reqPorts.length, b.reqPorts.length]).toEqual([1, 1]);
    expect(proxy.config).toContain('directors.round_robin()');
  });

  it.skipIf(!installed)('directives reach the VCL Varnish runs: a vcl_recv of ours answers 204 without the origin', async () => {
    const o = await cacheableOrigin(closers);
    const proxy = await create({ directives: ['sub vcl_recv {', '  return (synth(204));', '}'] }, [o.port]);
    const port = await started(proxy, closers);
    const a = agent(closers, false);
    expect((await get(port, a)).status).toBe(204);
    expect(o.reqPorts).toHaveLength(0);
    expect(proxy.config).toContain('return (synth(204));');
  });

  it.skipIf(!installed)('close() stops the child, frees the port and removes the temp dir; twice is fine', async () => {
    const o = await cacheableOrigin(closers);
    await expectCleanClose(await create({}, [o.port]), closers);
  });
});
