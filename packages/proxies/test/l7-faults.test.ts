import { describe, expect } from 'vitest';
import { FakeOrigin, ok } from './helpers/l7-fake-origin.js';
import { ENGINES, get, l7Test as test, withBody } from './helpers/l7-fixture.js';

/** A port nothing listens on: open a server, note its port, close it. */
async function deadPort(): Promise<FakeOrigin> {
  const o = await new FakeOrigin().listen();
  await o.close();
  return o;
}

describe.each(ENGINES)('%s origin and client faults', (kind) => {
  test.scoped({ kind });
  test('an origin that refuses connections gets a 502 with a short body; the client connection stays usable', async ({ lab }) => {
    const dead = await deadPort();
    const proxy = await lab.proxy([dead]);
    const c = await lab.client(proxy);
    c.write(get('down1'));
    const res = await c.response();
    expect(res.status).toBe(502);
    expect(res.body).toMatch(/^502 Bad Gateway: .+\n$/);
    expect(res.body.length).toBeLessThan(120);
    c.write(get('down2'));
    expect((await c.response()).status).toBe(502);
    expect(c.ended).toBe(false);
    expect(lab.events('reject').map((e) => [e.id, e.status, e.why])).toEqual([
      ['down1', 502, 'ECONNREFUSED'],
      ['down2', 502, 'ECONNREFUSED'],
    ]);
    expect(proxy.stats()).toMatchObject({ upstreamConnections: 0, openUpstreamSockets: 0, retries: 0 });
  });

  test('once a refused origin is back, the proxy serves through it again', async ({ lab }) => {
    const dead = await deadPort();
    const proxy = await lab.proxy([dead]);
    const c = await lab.client(proxy);
    c.write(get('before'));
    expect((await c.response()).status).toBe(502);
    const back = await lab.origin(undefined, dead.port);
    c.write(get('after'));
    const res = await c.response();
    expect(res.status).toBe(200);
    expect(res.body).toBe('conn=1 nth=1');
    expect(back.requests).toHaveLength(1);
  });

  test('an origin silent past upstreamTimeout gets a 504, and that upstream socket is destroyed', async ({ lab }) => {
    const origin = await lab.origin((r) => (r.target === '/hang' ? { silent: true } : ok('fine')));
    const proxy = await lab.proxy([origin], { upstreamTimeout: 150 });
    const c = await lab.client(proxy);
    c.write(get('slow', '/hang'));
    // Another client is served while the first waits.
    const other = await lab.client(proxy);
    other.write(get('fast', '/'));
    expect((await other.response()).body).toBe('fine');
    const res = await c.response();
    expect(res.status).toBe(504);
    expect(res.body).toMatch(/^504 Gateway Timeout/);
    const close = await lab.waitEvent('upstream-close', (e) => e.reason === 'upstream-timeout');
    const hung = origin.requests.find((r) => r.target === '/hang');
    expect(close.localPort).toBe(hung?.conn.remotePort);
    await origin.waitForClosed(1);
    expect(hung?.conn.closed).toBe(true);
    // The client's connection survives the 504 and is served again, on a healthy socket.
    c.write(get('after', '/'));
    expect((await c.response()).status).toBe(200);
  });

  test('an origin reset mid-response closes the client connection before a complete-looking body', async ({ lab }) => {
    const origin = await lab.origin(() => ({ write: `HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n${'x'.repeat(40)}`, then: 'reset' }));
    const proxy = await lab.proxy([origin]);
    const c = await lab.client(proxy);
    c.write(get('cut'));
    await c.waitClosed();
    await expect(c.response()).rejects.toThrow(/ended before a whole response/);
    expect(c.received).toContain('Content-Length: 100');
    expect(c.received.length - c.received.indexOf('\r\n\r\n') - 4).toBeLessThan(100);
    expect((await lab.waitEvent('client-close')).reason).toBe('upstream-closed');
  });

  test('a chunked response cut by the origin never reaches the client with its last chunk', async ({ lab }) => {
    const origin = await lab.origin(() => ({
      write: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n',
      then: 'destroy',
    }));
    const proxy = await lab.proxy([origin]);
    const c = await lab.client(proxy);
    c.write(get('cut2'));
    await c.waitClosed();
    expect(c.received).toContain('hello');
    expect(c.received).not.toContain('\r\n0\r\n\r\n');
  });

  test('a client that aborts mid-body gets its upstream socket destroyed, not pooled', async ({ lab }) => {
    const origin = await lab.origin();
    const proxy = await lab.proxy([origin], { upstreamTimeout: 5000 });
    const c = await lab.client(proxy);
    c.write(`POST /upload HTTP/1.1\r\nHost: lab\r\nx-lab-request-id: up\r\nContent-Length: 100\r\n\r\n${'y'.repeat(10)}`);
    await lab.waitEvent('forward', (e) => e.id === 'up');
    await expect.poll(() => origin.conns[0]?.received.endsWith('y'.repeat(10))).toBe(true);
    c.destroy();
    const close = await lab.waitEvent('upstream-close');
    expect(close.reason).toBe('client-closed');
    await origin.waitForClosed(1);
    expect(origin.requests).toHaveLength(0); // the origin never saw a whole request
    expect(proxy.stats()).toMatchObject({ openUpstreamSockets: 0, idleUpstreamSockets: 0 });
  });

  test('a client that leaves mid-response gets its upstream socket destroyed', async ({ lab }) => {
    const origin = await lab.origin(() => ({
      write: `HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n${'z'.repeat(1000)}`,
      then: 'hold',
    }));
    const proxy = await lab.proxy([origin], { upstreamTimeout: 5000 });
    const c = await lab.client(proxy);
    c.write(get('bye'));
    await c.waitData();
    c.destroy();
    expect((await lab.waitEvent('upstream-close')).reason).toBe('client-closed');
    expect(proxy.stats().openUpstreamSockets).toBe(0);
  });

  test('a POST body is streamed to the origin and the answer streamed back', async ({ lab }) => {
    const origin = await lab.origin((r) => ok(`got ${r.body.length}`));
    const proxy = await lab.proxy([origin]);
    const c = await lab.client(proxy);
    const body = 'b'.repeat(256 * 1024);
    c.write(withBody('POST', 'big', body));
    const res = await c.response();
    expect(res.body).toBe(`got ${body.length}`);
    expect(origin.requests[0]?.fields.find(([k]) => k === 'Content-Length')?.[1]).toBe(String(body.length));
  });
});
