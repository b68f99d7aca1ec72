import { describe, expect } from 'vitest';
import { ok } from './helpers/l7-fake-origin.js';
import { ENGINES, get, l7Test as test } from './helpers/l7-fixture.js';

/**
 * The client side's two silence deadlines, as node's http server has them:
 * clientKeepAliveTimeout (+ node's 1 s buffer) once the last answer is out,
 * clientTimeout while a request is under way. l7 gets them from node; l7-fast
 * checks them in its sweep.
 */
describe.each(ENGINES)('%s client deadlines', (kind) => {
  test.scoped({ kind });

  test('an idle keep-alive client connection is closed after clientKeepAliveTimeout + 1 s: reason idle-timeout', async ({ lab }) => {
    const origin = await lab.origin();
    const proxy = await lab.proxy([origin], { clientKeepAliveTimeout: 100 });
    const c = await lab.client(proxy);
    c.write(get('k1'));
    expect((await c.response()).status).toBe(200);
    await c.waitClosed();
    const close = await lab.waitEvent('client-close');
    expect(close.reason).toBe('idle-timeout');
    expect(close.clientPort).toBe(c.localPort);
    // The upstream socket is the pool's: still there, idle.
    expect(proxy.stats()).toMatchObject({ openClientConnections: 0, openUpstreamSockets: 1, idleUpstreamSockets: 1 });
  });

  test('each request starts the keep-alive deadline again', async ({ lab }) => {
    const origin = await lab.origin((r) => ok(`nth=${r.nth}`));
    // Idle limit 1100 ms; requests 700 ms apart span 1400 ms on one connection.
    const proxy = await lab.proxy([origin], { clientKeepAliveTimeout: 100 });
    const c = await lab.client(proxy);
    for (const id of ['a1', 'a2', 'a3']) {
      c.write(get(id));
      expect((await c.response()).status).toBe(200);
      if (id !== 'a3') await new Promise((resolve) => setTimeout(resolve, 700));
    }
    expect(c.ended).toBe(false);
    expect(proxy.stats().clientConnections).toBe(1);
    expect(origin.requests.map((r) => r.nth)).toEqual([1, 2, 3]);
  });

  test('a connection idle for seconds reads its next requests whole: pipelined, and a head split by a pause', async ({ lab }) => {
    const origin = await lab.origin((r) => ok(r.target));
    // l7-fast gives an idle connection's parser back after 1 s (client-conn.ts); its sweep runs every 500 ms here.
    const proxy = await lab.proxy([origin], { headerTimeout: 2000, poolIdleTimeout: 10_000 });
    const c = await lab.client(proxy);
    c.write(get('w1', '/one'));
    expect((await c.response()).body).toBe('/one');
    await new Promise((resolve) => setTimeout(resolve, 1700));
    c.write(get('w2', '/two') + get('w3', '/three'));
    expect((await c.response()).body).toBe('/two');
    expect((await c.response()).body).toBe('/three');
    await new Promise((resolve) => setTimeout(resolve, 1700));
    c.write('GET /four HTTP/1.1\r\nHost: lab\r\n');
    // Longer than the idle delay, shorter than headerTimeout: the half-read head must be kept.
    await new Promise((resolve) => setTimeout(resolve, 1200));
    c.write('x-lab-request-id: w4\r\n\r\n');
    expect((await c.response()).body).toBe('/four');
    expect(lab.events('reject')).toEqual([]);
    expect(proxy.stats().clientConnections).toBe(1);
  });

  test('a client silent mid-request past clientTimeout is cut, and its upstream socket is not pooled', async ({ lab }) => {
    const origin = await lab.origin(() => ({ silent: true }));
    const proxy = await lab.proxy([origin], { clientTimeout: 200, upstreamTimeout: 10_000 });
    const c = await lab.client(proxy);
    // 3 of 10 body bytes, then nothing.
    c.write('POST /upload HTTP/1.1\r\nHost: lab\r\nx-lab-request-id: s1\r\nContent-Length: 10\r\n\r\nabc');
    await c.waitClosed();
    expect(c.received).toBe('');
    const up = await lab.waitEvent('upstream-close');
    expect(up.reason).toBe('client-closed');
    await origin.waitForClosed(1);
    expect(proxy.stats()).toMatchObject({ openClientConnections: 0, openUpstreamSockets: 0 });
  });
});
