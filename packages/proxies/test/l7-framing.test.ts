import { describe, expect } from 'vitest';
import { ok } from './helpers/l7-fake-origin.js';
import { ENGINES, get, l7Test as test } from './helpers/l7-fixture.js';

const head = (fields: string, body = '', line = 'POST / HTTP/1.1'): string => `${line}\r\nHost: lab\r\n${fields}\r\n${body}`;

/** Requests whose framing cannot be trusted: answered by the proxy, closed, nothing upstream. */
const UNTRUSTED: Array<[string, string, number]> = [
  ['Content-Length with Transfer-Encoding', head('Content-Length: 3\r\nTransfer-Encoding: chunked\r\n', '0\r\n\r\n'), 400],
  ['a last coding other than chunked', head('Transfer-Encoding: gzip\r\n', 'abc'), 400],
  ['chunked then gzip in one line', head('Transfer-Encoding: chunked, gzip\r\n', 'abc'), 400],
  ['gzip then chunked over two lines', head('Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n', '3\r\nabc\r\n0\r\n\r\n'), 501],
  ['Content-Length +5', head('Content-Length: +5\r\n', 'abcde'), 400],
  ['Content-Length -1', head('Content-Length: -1\r\n', 'a'), 400],
  ['Content-Length 1 0', head('Content-Length: 1 0\r\n', 'abcdeabcde'), 400],
  ['Content-Length 0x10', head('Content-Length: 0x10\r\n', 'a'), 400],
  ['differing Content-Lengths', head('Content-Length: 3\r\nContent-Length: 4\r\n', 'abcd'), 400],
  ['a Content-Length list', head('Content-Length: 3, 3\r\n', 'abc'), 400],
  ['a bare CR in a field value', head('X: a\rb\r\n'), 400],
  ['a NUL in a field value', head('X: a\0b\r\n'), 400],
  ['whitespace before the colon', head('Content-Length : 3\r\n', 'abc'), 400],
  ['obs-fold', head('X: a\r\n b\r\n'), 400],
  ['two Host fields', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 400],
  ['HTTP/1.1 without Host', 'GET / HTTP/1.1\r\nX: y\r\n\r\n', 400],
  ['HTTP/0.9', 'GET /\r\n\r\n', 505],
  ['HTTP/1.2', 'GET / HTTP/1.2\r\nHost: a\r\n\r\n', 400],
];

describe.each(ENGINES)('%s request framing (RFC 9112 §6, §7)', (kind) => {
  test.scoped({ kind });
  test.for(UNTRUSTED)('%s: answered %i, connection closed, nothing reaches the origin', async ([, bytes, status], { lab }) => {
    const origin = await lab.origin();
    const proxy = await lab.proxy([origin]);
    const c = await lab.client(proxy);
    c.write(bytes);
    await c.waitClosed();
    const res = await c.response();
    expect(res.status).toBe(status);
    expect(res.field('connection')).toBe('close');
    expect(origin.conns).toHaveLength(0);
    expect(proxy.stats()).toMatchObject({ rejects: 1, upstreamConnections: 0 });
  });

  test.for<[string, string]>([
    ['an invalid chunk size', 'zz\r\nabc\r\n0\r\n\r\n'],
    ['an overflowing chunk size', 'fffffffffffffffff1\r\nabc\r\n0\r\n\r\n'],
  ])('%s inside a streamed body: 400, closed, and the origin never gets a whole request', async ([, bad], { lab }) => {
    const origin = await lab.origin();
    const proxy = await lab.proxy([origin]);
    const c = await lab.client(proxy);
    // A good first chunk is streamed upstream before the bad one arrives.
    c.write(head('x-lab-request-id: chunky\r\nTransfer-Encoding: chunked\r\n', '3\r\nabc\r\n'));
    await expect.poll(() => origin.conns[0]?.received.endsWith('3\r\nabc\r\n')).toBe(true);
    c.write(bad);
    await c.waitClosed();
    const res = await c.response();
    expect(res.status).toBe(400);
    expect(res.field('connection')).toBe('close');
    expect(lab.events('reject')).toEqual([expect.objectContaining({ id: 'chunky', status: 400 })]);
    // That upstream socket is half-written: destroyed, never pooled.
    expect((await lab.waitEvent('upstream-close')).reason).toBe('client-closed');
    await origin.waitForClosed(1);
    expect(origin.requests).toHaveLength(0);
    expect(proxy.stats().openUpstreamSockets).toBe(0);
  });

  test('bad chunk bytes arriving with the head: 400, and the untouched upstream socket may be pooled', async ({ lab }) => {
    const origin = await lab.origin();
    const proxy = await lab.proxy([origin]);
    const c = await lab.client(proxy);
    c.write(head('Transfer-Encoding: chunked\r\n', 'zz\r\nabc\r\n0\r\n\r\n'));
    await c.waitClosed();
    expect((await c.response()).status).toBe(400);
    expect(origin.requests).toHaveLength(0);
    // The request was dropped before a byte went out on its socket.
    for (const conn of origin.conns) expect(conn.received).toBe('');
  });

  test('a body cannot smuggle a second request: the origin reads it as body bytes', async ({ lab }) => {
    const origin = await lab.origin((r) => ok(`${r.method} ${r.body.length}`));
    const proxy = await lab.proxy([origin]);
    const c = await lab.client(proxy);
    const smuggled = 'GET /admin HTTP/1.1\r\nHost: lab\r\n\r\n';
    c.write(head(`Content-Length: ${smuggled.length}\r\n`, smuggled));
    expect((await c.response()).body).toBe(`POST ${smuggled.length}`);
    expect(origin.requests.map((r) => r.target)).toEqual(['/']);
  });

  test('a GET with a chunked body reaches the origin well framed, and the next request stays separate', async ({ lab }) => {
    const origin = await lab.origin((r) => ok(`${r.target} ${r.body}`));
    const proxy = await lab.proxy([origin]);
    const c = await lab.client(proxy);
    c.write('GET /one HTTP/1.1\r\nHost: lab\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n');
    expect((await c.response()).body).toBe('/one abc');
    // The same upstream connection carries the next request: its framing stayed in step.
    c.write(get('two', '/two'));
    expect((await c.response()).body).toBe('/two ');
    const first = origin.requests[0];
    expect(first?.fields.filter(([k]) => k.toLowerCase() === 'transfer-encoding')).toEqual([['Transfer-Encoding', 'chunked']]);
    expect(first?.raw.endsWith('\r\n\r\n3\r\nabc\r\n0\r\n\r\n')).toBe(true);
    expect(origin.requests.map((r) => [r.target, r.nth])).toEqual([
      ['/one', 1],
      ['/two', 2],
    ]);
  });

  test('HTTP/1.0 with Transfer-Encoding is served once, then the connection is closed (§6.1)', async ({ lab }) => {
    const origin = await lab.origin((r) => ok(r.body));
    const proxy = await lab.proxy([origin]);
    const c = await lab.client(proxy);
    c.write('POST / HTTP/1.0\r\nHost: lab\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n');
    const res = await c.response();
    expect(res.status).toBe(200);
    expect(res.body).toBe('abc');
    expect(res.field('transfer-encoding')).toBeUndefined();
    await c.waitClosed();
    expect(origin.requests[0]?.body).toBe('abc');
  });

  test('absolute-form targets become origin-form, with the authority as Host', async ({ lab }) => {
    const origin = await lab.origin();
    const proxy = await lab.proxy([origin]);
    const c = await lab.client(proxy);
    c.write('GET http://example.test:8080/p?q HTTP/1.1\r\nHost: ignored\r\n\r\n');
    expect((await c.response()).status).toBe(200);
    expect(origin.requests[0]?.raw.startsWith('GET /p?q HTTP/1.1\r\nHost: ignored\r\n')).toBe(true);
  });
});

/**
 * Requests after which the connection ends: the proxy answers them, then
 * closes, and reads nothing the client sent behind them. RFC 9112 §9.6: a
 * server that receives `close` MUST NOT process further requests on that
 * connection; §6.1: HTTP/1.0 with Transfer-Encoding has faulty framing, so
 * the connection closes after it (served once, as l7-fast always did).
 */
const LAST_REQUESTS: Array<[string, string]> = [
  ['Connection: close', 'GET /first HTTP/1.1\r\nHost: lab\r\nConnection: close\r\n\r\n'],
  ['HTTP/1.0 without keep-alive', 'GET /first HTTP/1.0\r\nHost: lab\r\n\r\n'],
  [
    'HTTP/1.0 with Transfer-Encoding and keep-alive (§6.1)',
    'POST /first HTTP/1.0\r\nHost: lab\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
  ],
];
const WHEN = ['in the same packet', 'while the first is in flight'] as const;

describe.each(ENGINES)('%s the last request on a connection (RFC 9112 §9.6, §6.1)', (kind) => {
  test.scoped({ kind });
  test.for(
    LAST_REQUESTS.flatMap(([name, bytes]) => WHEN.map((when) => [name, when, bytes] as const)),
  )('%s, another request sent %s: the first is answered, nothing after it reaches the origin, then closed', async ([, when, first], {
    lab,
  }) => {
    const origin = await lab.origin((r) => (r.target === '/first' ? { silent: true } : ok('second')));
    const proxy = await lab.proxy([origin], { upstreamTimeout: 5000 });
    const c = await lab.client(proxy);
    const second = get('second', '/second');
    // The first request must reach the origin (bounded: a proxy that drops it fails here, not at testTimeout).
    const firstArrives = () => expect.poll(() => origin.requests.map((r) => r.target), { timeout: 2000 }).toEqual(['/first']);
    if (when === 'in the same packet') {
      c.write(first + second);
      await firstArrives();
    } else {
      c.write(first);
      await firstArrives();
      c.write(second);
    }
    // Time for the proxy to read the second request (and, were it forwarded, for the origin to see it).
    await new Promise((r) => setTimeout(r, 50));
    origin.requests[0]?.conn.socket.write(ok('first'), 'latin1');
    const res = await c.response({ within: 2000 });
    expect(res.status).toBe(200);
    expect(res.body).toBe('first');
    expect(res.field('connection')).toBe('close');
    await c.waitClosed();
    expect(c.unread).toBe('');
    expect(origin.requests.map((r) => r.target)).toEqual(['/first']);
    expect(lab.events('reject')).toEqual([]);
  });

  test('a request pipelined behind one the proxy refuses is never forwarded', async ({ lab }) => {
    const origin = await lab.origin();
    const proxy = await lab.proxy([origin]);
    const c = await lab.client(proxy);
    c.write(`GET /bad HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n${get('behind', '/behind')}`);
    const res = await c.response({ within: 2000 });
    expect(res.status).toBe(400);
    await c.waitClosed();
    expect(c.unread).toBe('');
    await new Promise((r) => setTimeout(r, 50));
    expect(origin.requests).toHaveLength(0);
    expect(proxy.stats().rejects).toBe(1);
  });
});

/** Responses an origin must not get away with: 502, and that upstream socket is dropped. */
const MALFORMED: Array<[string, string]> = [
  ['a garbage status line', 'HTTP/1.1 abc\r\n\r\n'],
  ['not HTTP at all', 'SSH-2.0-OpenSSH\r\n\r\n'],
  ['differing Content-Lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd'],
  ['Content-Length 0x10', 'HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\nabcd'],
  ['a NUL in a field', 'HTTP/1.1 200 OK\r\nX: a\0b\r\nContent-Length: 0\r\n\r\n'],
  ['whitespace before the colon', 'HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nab'],
  ['an invalid chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n'],
];

describe.each(ENGINES)('%s response framing', (kind) => {
  test.scoped({ kind });
  test.for(MALFORMED)('%s: 502 to the client, the upstream socket closed', async ([, bytes], { lab }) => {
    const origin = await lab.origin(() => bytes);
    const proxy = await lab.proxy([origin]);
    const c = await lab.client(proxy);
    c.write(get('bad'));
    const res = await c.response().catch(() => null);
    if (res === null) {
      // A bad chunk size surfaces after the head was committed: the client sees a cut connection, never an end.
      expect(c.ended).toBe(true);
      expect(c.received).not.toContain('\r\n0\r\n\r\n');
    } else {
      expect(res.status).toBe(502);
      expect(res.body).toMatch(/^502 Bad Gateway/);
    }
    await origin.waitForClosed(1);
    expect(proxy.stats().openUpstreamSockets).toBe(0);
  });

  test('Content-Length with Transfer-Encoding in a response: never both to the client', async ({ lab }) => {
    const origin = await lab.origin(
      () => 'HTTP/1.1 200 OK\r\nContent-Length: 50\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n',
    );
    const proxy = await lab.proxy([origin]);
    const c = await lab.client(proxy);
    c.write(get('both'));
    const res = await c.response();
    if (res.status === 200) {
      expect(res.field('content-length')).toBeUndefined();
      expect(res.body).toBe('hi');
    } else {
      expect(res.status).toBe(502);
    }
  });
});
