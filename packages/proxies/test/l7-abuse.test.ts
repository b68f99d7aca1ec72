import { describe, expect } from 'vitest';
import { ok } from './helpers/l7-fake-origin.js';
import { ENGINES, get, l7Test as test } from './helpers/l7-fixture.js';

describe.each(ENGINES)('%s abusive and unusual clients', (kind) => {
  test.scoped({ kind });
  test('a client trickling its head gets 408 after headerTimeout, and no upstream socket is opened for it', async ({ lab }) => {
    const origin = await lab.origin();
    const proxy = await lab.proxy([origin], { headerTimeout: 200 });
    const slow = await lab.client(proxy);
    slow.write('GET / HTTP/1.1\r\nHost: lab\r\n');
    slow.write('X-Drip: 1\r\n');
    // Everyone else is served meanwhile.
    const other = await lab.client(proxy);
    other.write(get('other'));
    expect((await other.response()).status).toBe(200);
    await slow.waitClosed();
    const res = await slow.response();
    expect(res.status).toBe(408);
    expect(lab.events('reject')).toEqual([expect.objectContaining({ status: 408, why: 'ERR_HTTP_REQUEST_TIMEOUT' })]);
    // The one upstream connection is the other client's.
    expect(origin.requests.map((r) => r.fields.find(([k]) => k === 'x-lab-request-id')?.[1])).toEqual(['other']);
    expect(proxy.stats().upstreamConnections).toBe(1);
  });

  test('headerTimeout does not cut an idle keep-alive connection between requests', async ({ lab }) => {
    const origin = await lab.origin();
    // The pool's idle timeout (400 ms) is the clock: it fires well after headerTimeout (100 ms).
    const proxy = await lab.proxy([origin], { headerTimeout: 100, poolIdleTimeout: 400 });
    const c = await lab.client(proxy);
    c.write(get('k1'));
    expect((await c.response()).status).toBe(200);
    await lab.waitEvent('upstream-close', (e) => e.reason === 'pool-idle-timeout');
    expect(c.ended).toBe(false);
    c.write(get('k2'));
    expect((await c.response()).status).toBe(200);
    expect(lab.events('reject')).toEqual([]);
    void proxy;
  });

  test('the next head on a kept-alive connection has its own deadline: trickled, it gets 408', async ({ lab }) => {
    const origin = await lab.origin();
    const proxy = await lab.proxy([origin], { headerTimeout: 200, poolIdleTimeout: 10_000 });
    const c = await lab.client(proxy);
    c.write(get('first'));
    expect((await c.response()).status).toBe(200);
    // Idle past headerTimeout first: the idle time is not the next head's.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(c.ended).toBe(false);
    c.write('GET /second HTTP/1.1\r\nHost: lab\r\n');
    await c.waitClosed();
    expect((await c.response()).status).toBe(408);
    expect(lab.events('reject')).toEqual([expect.objectContaining({ status: 408, why: 'ERR_HTTP_REQUEST_TIMEOUT' })]);
    expect(origin.requests).toHaveLength(1);
    void proxy;
  });

  test('an oversized head gets 431 and is closed, nothing upstream', async ({ lab }) => {
    const origin = await lab.origin();
    const proxy = await lab.proxy([origin], { maxHeaderSize: 4096 });
    const c = await lab.client(proxy);
    c.write(`GET / HTTP/1.1\r\nHost: lab\r\nX-Big: ${'a'.repeat(8000)}\r\n\r\n`);
    await c.waitClosed();
    expect((await c.response()).status).toBe(431);
    expect(origin.conns).toHaveLength(0);
  });

  test('a flood of small header fields gets 431, nothing upstream', async ({ lab }) => {
    const origin = await lab.origin();
    const proxy = await lab.proxy([origin], { maxHeaderCount: 50 });
    const c = await lab.client(proxy);
    const flood = Array.from({ length: 200 }, (_, i) => `X-${i}: ${i}\r\n`).join('');
    c.write(`GET / HTTP/1.1\r\nHost: lab\r\n${flood}\r\n`);
    await c.waitClosed();
    const res = await c.response();
    expect(res.status).toBe(431);
    expect(lab.events('reject')).toEqual([expect.objectContaining({ status: 431, why: 'too-many-fields' })]);
    expect(origin.conns).toHaveLength(0);
  });

  test('Expect: 100-continue gets a 100 before the body is sent, then the answer', async ({ lab }) => {
    const origin = await lab.origin((r) => ok(`got ${r.body}`));
    const proxy = await lab.proxy([origin]);
    const c = await lab.client(proxy);
    c.write('PUT /doc HTTP/1.1\r\nHost: lab\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n');
    const interim = await c.response();
    expect(interim.status).toBe(100);
    c.write('hello');
    const res = await c.response();
    expect(res.status).toBe(200);
    expect(res.body).toBe('got hello');
  });

  test('pipelined requests are answered in order, even when the origin answers the later one first', async ({ lab }) => {
    const origin = await lab.origin((r) => (r.target === '/slow' ? { silent: true } : ok('fast')));
    const proxy = await lab.proxy([origin], { upstreamTimeout: 5000 });
    const c = await lab.client(proxy);
    c.write(get('p1', '/slow') + get('p2', '/fast') + get('p3', '/fast'));
    await origin.waitForRequests(3);
    origin.requests.find((r) => r.target === '/slow')?.conn.socket.write(ok('slow'));
    expect((await c.response()).body).toBe('slow');
    expect((await c.response()).body).toBe('fast');
    expect((await c.response()).body).toBe('fast');
    expect(c.ended).toBe(false);
  });

  test('idle client connections hold no upstream sockets', async ({ lab }) => {
    const origin = await lab.origin();
    const proxy = await lab.proxy([origin]);
    const clients = await Promise.all(Array.from({ length: 50 }, () => lab.client(proxy)));
    await expect.poll(() => proxy.stats().openClientConnections).toBe(50);
    expect(proxy.stats().openUpstreamSockets).toBe(0);
    expect(origin.conns).toHaveLength(0);
    for (const c of clients) c.destroy();
    await expect.poll(() => proxy.stats().openClientConnections).toBe(0);
  });

  test('close() ends idle clients and pooled sockets and resolves with nothing left open', async ({ lab }) => {
    const origin = await lab.origin();
    const proxy = await lab.proxy([origin]);
    const c = await lab.client(proxy);
    c.write(get('last'));
    await c.response();
    await proxy.close();
    expect(proxy.openSockets).toBe(0);
    await c.waitClosed();
    await origin.waitForClosed(1);
    expect(lab.events('upstream-close').map((e) => e.reason)).toEqual(['server-close']);
    expect(lab.events('client-close').map((e) => e.reason)).toEqual(['server-close']);
  });
});
