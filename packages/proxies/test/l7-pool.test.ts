import { describe, expect, vi } from 'vitest';
import { ok } from './helpers/l7-fake-origin.js';
import { ENGINES, get, l7Test as test } from './helpers/l7-fixture.js';

describe.each(ENGINES)('%s upstream pool', (kind) => {
  test.scoped({ kind });
  test('reuses one upstream connection across client connections that each say Connection: close', async ({ lab }) => {
    const origin = await lab.origin();
    const proxy = await lab.proxy([origin]);
    const clientPorts: number[] = [];
    for (let i = 1; i <= 3; i++) {
      const c = await lab.client(proxy);
      clientPorts.push(c.localPort);
      c.write(get(`r${i}`, '/', 'Connection: close\r\n'));
      const res = await c.response();
      expect(res.status).toBe(200);
      expect(res.body).toBe(`conn=1 nth=${i}`);
      await c.waitClosed(); // the client's close closes the client's connection...
    }
    // ...and never the upstream one: one origin connection carried all three.
    expect(origin.conns).toHaveLength(1);
    expect(origin.conns[0]?.closed).toBe(false);
    expect(new Set(clientPorts).size).toBe(3);
    const forwards = lab.events('forward');
    expect(forwards.map((f) => [f.id, f.reused, f.attempt, f.localPort])).toEqual([
      ['r1', false, 1, origin.conns[0]?.remotePort],
      ['r2', true, 1, origin.conns[0]?.remotePort],
      ['r3', true, 1, origin.conns[0]?.remotePort],
    ]);
    expect(lab.events('upstream-open')).toEqual([
      expect.objectContaining({ clientConn: null, localPort: origin.conns[0]?.remotePort, upstreamConn: 1 }),
    ]);
    expect(proxy.stats()).toMatchObject({
      clientConnections: 3,
      upstreamConnections: 1,
      upstreamReuses: 2,
      openUpstreamSockets: 1,
      idleUpstreamSockets: 1,
    });
  });

  test("an origin's Connection: close never closes the client's connection", async ({ lab }) => {
    const origin = await lab.origin((r) => ({ write: ok(`nth=${r.nth}`, 'Connection: close\r\n'), then: 'end' }));
    const proxy = await lab.proxy([origin]);
    const c = await lab.client(proxy);
    c.write(get('a'));
    expect((await c.response()).status).toBe(200);
    c.write(get('b'));
    const second = await c.response();
    expect(second.status).toBe(200);
    expect(second.field('connection')).not.toBe('close');
    expect(c.ended).toBe(false);
    expect(origin.conns).toHaveLength(2);
    const close = await lab.waitEvent('upstream-close', (e) => e.upstreamConn === 1);
    expect(close.reason).toBe('connection-close');
    expect(proxy.stats().upstreamReuses).toBe(0);
  });

  test('an HTTP/1.0 origin is pooled only when it says keep-alive', async ({ lab }) => {
    const origin = await lab.origin((r) =>
      r.target === '/ka'
        ? 'HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nka'
        : { write: 'HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nno', then: 'hold' },
    );
    const proxy = await lab.proxy([origin]);
    const c = await lab.client(proxy);
    c.write(get('k1', '/ka'));
    expect((await c.response()).body).toBe('ka');
    c.write(get('k2', '/ka'));
    expect((await c.response()).body).toBe('ka');
    expect(proxy.stats().upstreamReuses).toBe(1);
    c.write(get('k3', '/plain'));
    expect((await c.response()).body).toBe('no');
    // Without keep-alive an HTTP/1.0 response ends its connection: the proxy closes it, the client's stays.
    expect((await lab.waitEvent('upstream-close')).reason).toBe('connection-close');
    expect(c.ended).toBe(false);
  });

  test('maxSockets caps upstream connections; a queued request takes the next freed socket', async ({ lab }) => {
    const origin = await lab.origin(() => ({ silent: true }));
    const proxy = await lab.proxy([origin], { maxSockets: 2, upstreamTimeout: 5000 });
    const clients = await Promise.all([1, 2, 3].map(() => lab.client(proxy)));
    clients.forEach((c, i) => {
      c.write(get(`q${i}`));
    });
    await origin.waitForRequests(2);
    expect(origin.conns).toHaveLength(2);
    expect(proxy.stats().openUpstreamSockets).toBe(2);
    // Answer the first: its socket goes straight to the queued request.
    const first = origin.requests[0];
    first?.conn.socket.write(ok('one'));
    await origin.waitForRequests(3);
    expect(origin.requests[2]?.conn).toBe(first?.conn);
    expect(origin.requests[2]?.nth).toBe(2);
    for (const r of origin.requests.slice(1)) r.conn.socket.write(ok('later'));
    const statuses = await Promise.all(clients.map(async (c) => (await c.response()).status));
    expect(statuses).toEqual([200, 200, 200]);
    expect(origin.conns).toHaveLength(2);
    expect(proxy.stats()).toMatchObject({ upstreamConnections: 2, upstreamReuses: 1 });
  });

  test('maxIdleSockets: a socket freed beyond it is closed as pool-full', async ({ lab }) => {
    const origin = await lab.origin(() => ({ silent: true }));
    const proxy = await lab.proxy([origin], { maxSockets: 3, maxIdleSockets: 1, upstreamTimeout: 5000 });
    const clients = await Promise.all([1, 2, 3].map(() => lab.client(proxy)));
    clients.forEach((c, i) => {
      c.write(get(`f${i}`));
    });
    await origin.waitForRequests(3);
    for (const r of origin.requests) r.conn.socket.write(ok());
    await Promise.all(clients.map((c) => c.response()));
    await origin.waitForClosed(2);
    await vi.waitFor(() => expect(lab.events('upstream-close')).toHaveLength(2));
    expect(lab.events('upstream-close').map((e) => e.reason)).toEqual(['pool-full', 'pool-full']);
    expect(proxy.stats()).toMatchObject({ openUpstreamSockets: 1, idleUpstreamSockets: 1 });
  });

  test('a load above maxIdleSockets does not churn connections: a burst of freed sockets is taken back, not reopened', async ({ lab }) => {
    const origin = await lab.origin(() => ({ silent: true }));
    const proxy = await lab.proxy([origin], { maxSockets: 8, maxIdleSockets: 2, upstreamTimeout: 5000 });
    const clients = await Promise.all(Array.from({ length: 8 }, () => lab.client(proxy)));
    const rounds = 20;
    for (let round = 0; round < rounds; round++) {
      clients.forEach((c, i) => {
        c.write(get(`r${round}-${i}`));
      });
      await origin.waitForRequests(8 * (round + 1));
      // All eight answered at once: eight sockets freed together, six beyond the cap, until the next round takes them.
      for (const r of origin.requests.slice(8 * round)) r.conn.socket.write(ok());
      for (const c of clients) expect((await c.response()).status).toBe(200);
    }
    // Closing the surplus as each burst frees it (nginx) would open six new connections a round.
    expect(origin.conns.length).toBeLessThanOrEqual(16);
    expect(proxy.stats().upstreamReuses).toBeGreaterThanOrEqual(8 * rounds - 16);
  });

  test('beyond maxIdleSockets the least recently used idle socket is closed (pool-full), as nginx does', async ({ lab }) => {
    const origin = await lab.origin(() => ({ silent: true }));
    const proxy = await lab.proxy([origin], { maxSockets: 2, maxIdleSockets: 1, upstreamTimeout: 5000 });
    const [a, b] = await Promise.all([lab.client(proxy), lab.client(proxy)]);
    a?.write(get('older'));
    b?.write(get('newer'));
    await origin.waitForRequests(2);
    const older = origin.requests.find((r) => r.fields.some(([n, v]) => n === 'x-lab-request-id' && v === 'older'));
    const newer = origin.requests.find((r) => r.fields.some(([n, v]) => n === 'x-lab-request-id' && v === 'newer'));
    older?.conn.socket.write(ok('1'));
    await a?.response();
    newer?.conn.socket.write(ok('2'));
    await b?.response();
    const close = await lab.waitEvent('upstream-close');
    expect(close.reason).toBe('pool-full');
    expect(close.localPort).toBe(older?.conn.remotePort);
    await origin.waitForClosed(1);
    expect(newer?.conn.closed).toBe(false);
    expect(proxy.stats()).toMatchObject({ openUpstreamSockets: 1, idleUpstreamSockets: 1 });
  });

  test('a pooled socket idle longer than upstreamTimeout is still reused, and still times out a silent origin', async ({ lab }) => {
    const origin = await lab.origin((r) => (r.target === '/hang' ? { silent: true } : ok(`nth=${r.nth}`)));
    const proxy = await lab.proxy([origin], { upstreamTimeout: 100, poolIdleTimeout: 10_000 });
    const c = await lab.client(proxy);
    c.write(get('t1'));
    expect((await c.response()).body).toBe('nth=1');
    // Idle three times upstreamTimeout: the silence of an idle socket is not the origin's.
    await new Promise((resolve) => setTimeout(resolve, 300));
    c.write(get('t2'));
    expect((await c.response()).body).toBe('nth=2');
    c.write(get('t3', '/hang'));
    expect((await c.response({ within: 5000 })).status).toBe(504);
    expect(lab.events('forward').map((f) => f.reused)).toEqual([false, true, true]);
    expect((await lab.waitEvent('upstream-close')).reason).toBe('upstream-timeout');
  });

  test('bytes an origin sends on an idle pooled socket drop it (reason error); the next request opens a new one', async ({ lab }) => {
    const origin = await lab.origin();
    const proxy = await lab.proxy([origin], { poolIdleTimeout: 10_000 });
    const c = await lab.client(proxy);
    c.write(get('b1'));
    expect((await c.response()).body).toBe('conn=1 nth=1');
    // A late 408 on the idle socket: it answers no request of ours.
    origin.conns[0]?.socket.write('HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n\r\n');
    expect((await lab.waitEvent('upstream-close')).reason).toBe('error');
    c.write(get('b2'));
    expect((await c.response()).body).toBe('conn=2 nth=1');
    expect(proxy.stats()).toMatchObject({ upstreamConnections: 2, upstreamReuses: 0 });
  });

  test('an idle pooled socket is closed after poolIdleTimeout, reason pool-idle-timeout', async ({ lab }) => {
    const origin = await lab.origin();
    const proxy = await lab.proxy([origin], { poolIdleTimeout: 100 });
    const c = await lab.client(proxy);
    c.write(get('i1'));
    await c.response();
    const close = await lab.waitEvent('upstream-close');
    expect(close.reason).toBe('pool-idle-timeout');
    await origin.waitForClosed(1);
    expect(origin.conns[0]?.ended).toBe(true); // a FIN from the proxy, not the origin's doing
    expect(proxy.stats().openUpstreamSockets).toBe(0);
    // The client's own connection is untouched by the upstream's end.
    expect(c.ended).toBe(false);
    c.write(get('i2'));
    expect((await c.response()).body).toBe('conn=2 nth=1');
  });

  test("honours the origin's Keep-Alive: timeout=N, expiring the socket before the origin would", async ({ lab }) => {
    const origin = await lab.origin((r) => ok(`nth=${r.nth}`, 'Keep-Alive: timeout=1\r\n'));
    // 1 s announced, minus an 850 ms margin: the proxy drops it after 150 ms.
    const proxy = await lab.proxy([origin], { keepAliveHintMargin: 850 });
    const c = await lab.client(proxy);
    c.write(get('h1'));
    const res = await c.response();
    expect(res.field('keep-alive')).not.toBe('timeout=1'); // the origin's hint is hop-by-hop
    const close = await lab.waitEvent('upstream-close');
    expect(close.reason).toBe('keep-alive-hint');
    expect(proxy.stats().openUpstreamSockets).toBe(0);
  });

  test('ignores the hint when told to (keepAliveHint: false): the pool idle timeout rules', async ({ lab }) => {
    const origin = await lab.origin((r) => ok(`nth=${r.nth}`, 'Keep-Alive: timeout=1\r\n'));
    const proxy = await lab.proxy([origin], { keepAliveHint: false, keepAliveHintMargin: 850, poolIdleTimeout: 250 });
    const c = await lab.client(proxy);
    c.write(get('n1'));
    await c.response();
    const close = await lab.waitEvent('upstream-close');
    expect(close.reason).toBe('pool-idle-timeout');
    void proxy;
  });

  test('a hint shorter than the margin means the socket is not pooled at all', async ({ lab }) => {
    const origin = await lab.origin((r) => ok(`nth=${r.nth}`, 'Keep-Alive: timeout=0\r\n'));
    const proxy = await lab.proxy([origin]);
    const c = await lab.client(proxy);
    c.write(get('z1'));
    await c.response();
    expect((await lab.waitEvent('upstream-close')).reason).toBe('keep-alive-hint');
    c.write(get('z2'));
    expect((await c.response()).body).toBe('nth=1');
    expect(origin.conns).toHaveLength(2);
    expect(proxy.stats().upstreamReuses).toBe(0);
  });
});
