import { describe, expect } from 'vitest';
import { ok } from './helpers/l7-fake-origin.js';
import { ENGINES, get, l7Test as test } from './helpers/l7-fixture.js';

describe.each(ENGINES)('%s hop-by-hop fields (RFC 9110 §7.6.1)', (kind) => {
  test.scoped({ kind });
  test('strips every hop-by-hop request field, keeps TE: trailers, adds X-Forwarded-* and Via', async ({ lab }) => {
    const origin = await lab.origin();
    const proxy = await lab.proxy([origin]);
    const c = await lab.client(proxy);
    c.write(
      'GET /path?q=1 HTTP/1.1\r\n' +
        'Host: lab.example\r\n' +
        'Connection: close, X-Secret\r\n' +
        'X-Secret: hop\r\n' +
        'Keep-Alive: timeout=5\r\n' +
        'Proxy-Connection: keep-alive\r\n' +
        'Upgrade: websocket\r\n' +
        'TE: trailers, deflate;q=0.5\r\n' +
        'X-Forwarded-For: 203.0.113.7\r\n' +
        'X-Forwarded-Proto: https\r\n' +
        'X-Forwarded-Host: spoofed\r\n' +
        'X-End: kept\r\n' +
        '\r\n',
    );
    expect((await c.response()).status).toBe(200);
    await c.waitClosed(); // the client asked for close, on its own hop
    const head = origin.requests[0]?.raw;
    expect(head).toBe(
      'GET /path?q=1 HTTP/1.1\r\n' +
        'Host: lab.example\r\n' +
        'X-End: kept\r\n' +
        'TE: trailers\r\n' +
        'Connection: te\r\n' +
        'X-Forwarded-For: 203.0.113.7, 127.0.0.1\r\n' +
        'X-Forwarded-Proto: http\r\n' +
        'X-Forwarded-Host: lab.example\r\n' +
        `Via: 1.1 ${kind}\r\n` +
        '\r\n',
    );
    expect(origin.conns[0]?.closed).toBe(false);
  });

  test('strips every hop-by-hop response field, including those the origin names in Connection', async ({ lab }) => {
    const origin = await lab.origin(() =>
      ok(
        'body',
        'Connection: X-Internal, keep-alive\r\n' +
          'X-Internal: secret\r\n' +
          'Keep-Alive: timeout=60, max=5\r\n' +
          'Proxy-Connection: keep-alive\r\n' +
          'Upgrade: h2c\r\n' +
          'X-End: kept\r\n',
      ),
    );
    const proxy = await lab.proxy([origin]);
    const c = await lab.client(proxy);
    c.write('GET / HTTP/1.1\r\nHost: lab\r\n\r\n');
    const res = await c.response();
    expect(res.status).toBe(200);
    const names = res.fields.map(([k]) => k.toLowerCase());
    expect(names).not.toContain('x-internal');
    expect(names).not.toContain('proxy-connection');
    expect(names).not.toContain('upgrade');
    expect(res.field('x-end')).toBe('kept');
    expect(res.field('via')).toBe(`1.1 ${kind}`);
    // The client hop's own keep-alive fields are the proxy's, not the origin's.
    expect(res.field('keep-alive')).not.toContain('max=5');
    expect(res.body).toBe('body');
  });

  test('a Connection option cannot remove the fields that frame or route the message', async ({ lab }) => {
    const origin = await lab.origin();
    const proxy = await lab.proxy([origin]);
    const c = await lab.client(proxy);
    c.write('POST / HTTP/1.1\r\nHost: lab\r\nConnection: Host, Content-Length\r\nContent-Length: 5\r\n\r\nhello');
    expect((await c.response()).status).toBe(200);
    const r = origin.requests[0];
    expect(r?.fields.slice(0, 2)).toEqual([
      ['Host', 'lab'],
      ['Content-Length', '5'],
    ]);
    expect(r?.body).toBe('hello');
  });

  test('a chunked origin response reaches an HTTP/1.0 client unchunked, ended by close', async ({ lab }) => {
    const origin = await lab.origin(() => 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n');
    const proxy = await lab.proxy([origin]);
    const c = await lab.client(proxy);
    c.write('GET / HTTP/1.0\r\nHost: lab\r\n\r\n');
    await c.waitClosed();
    const res = await c.response();
    expect(res.status).toBe(200);
    expect(res.field('transfer-encoding')).toBeUndefined();
    expect(res.body).toBe('hello world');
    // The upstream socket is unaffected by the client hop closing.
    expect(origin.conns[0]?.closed).toBe(false);
  });

  test('a response with Transfer-Encoding loses its Content-Length on the way out', async ({ lab }) => {
    const origin = await lab.origin(() => 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n');
    const proxy = await lab.proxy([origin]);
    const c = await lab.client(proxy);
    c.write('GET / HTTP/1.1\r\nHost: lab\r\n\r\n');
    const res = await c.response();
    expect(res.field('content-length')).toBeUndefined();
    expect(res.field('transfer-encoding')).toBe('chunked');
    expect(res.body).toBe('hi');
  });
});

/** Upgrade requests the proxy does not tunnel; both are served as plain HTTP/1.1 requests. */
const UPGRADES: Array<[string, string]> = [
  [
    'h2c',
    'GET /h2 HTTP/1.1\r\nHost: lab\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\nX-End: kept\r\n\r\n',
  ],
  [
    'websocket',
    'GET /ws HTTP/1.1\r\nHost: lab\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nX-End: kept\r\n\r\n',
  ],
];

/**
 * Upgrade (RFC 9110 §7.8: a server MAY ignore it) is ignored: the request is
 * forwarded as a plain one, Upgrade and the Connection options naming it
 * stripped (as nginx does without websocket configuration), the origin's
 * answer passed on. The connection closes after that answer: what a client
 * sends behind an Upgrade request may already be the protocol it asked for,
 * so nothing behind it is read. CONNECT is refused: 501, closed.
 */
describe.each(ENGINES)('%s Upgrade and CONNECT (RFC 9110 §7.8, §9.3.6)', (kind) => {
  test.scoped({ kind });
  test.for(UPGRADES)('Upgrade: %s is ignored: forwarded as a plain request, answered, then closed', async ([, bytes], { lab }) => {
    const origin = await lab.origin((r) => ok(`plain ${r.target}`));
    const proxy = await lab.proxy([origin]);
    const c = await lab.client(proxy);
    c.write(bytes);
    const res = await c.response({ within: 2000 });
    expect(res.status).toBe(200);
    expect(res.body).toMatch(/^plain \//);
    expect(res.field('connection')).toBe('close');
    await c.waitClosed();
    const up = origin.requests[0];
    const names = up?.fields.map(([k]) => k.toLowerCase()) ?? [];
    expect(names).not.toContain('upgrade');
    expect(names).not.toContain('http2-settings');
    expect(up?.fields.filter(([k]) => k.toLowerCase() === 'connection').map(([, v]) => v.toLowerCase())).not.toContainEqual(
      expect.stringContaining('upgrade'),
    );
    expect(up?.fields).toContainEqual(['X-End', 'kept']);
    expect(origin.requests).toHaveLength(1);
    expect(lab.events('reject')).toEqual([]);
    // The upstream hop is plain HTTP/1.1 and stays pooled.
    expect(origin.conns[0]?.closed).toBe(false);
  });

  test('a request pipelined behind an ignored Upgrade is never read', async ({ lab }) => {
    const origin = await lab.origin((r) => ok(`plain ${r.target}`));
    const proxy = await lab.proxy([origin]);
    const c = await lab.client(proxy);
    c.write((UPGRADES[0] as [string, string])[1] + get('behind', '/behind'));
    expect((await c.response({ within: 2000 })).body).toBe('plain /h2');
    await c.waitClosed();
    expect(c.unread).toBe('');
    expect(origin.requests.map((r) => r.target)).toEqual(['/h2']);
  });

  test('CONNECT is refused: 501, closed, nothing upstream', async ({ lab }) => {
    const origin = await lab.origin();
    const proxy = await lab.proxy([origin]);
    const c = await lab.client(proxy);
    c.write('CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\nx-lab-request-id: tunnel\r\n\r\n\x16\x03\x01');
    const res = await c.response({ within: 2000 });
    expect(res.status).toBe(501);
    expect(res.body).toMatch(/^501 Not Implemented: .*CONNECT/);
    expect(res.field('connection')).toBe('close');
    await c.waitClosed();
    expect(origin.conns).toHaveLength(0);
    expect(lab.events('reject')).toEqual([expect.objectContaining({ id: 'tunnel', status: 501, why: 'connect' })]);
  });

  test('CONNECT pipelined behind a request in flight: that answer first, then the 501, then closed', async ({ lab }) => {
    const origin = await lab.origin(() => ({ silent: true }));
    const proxy = await lab.proxy([origin], { upstreamTimeout: 5000 });
    const c = await lab.client(proxy);
    c.write(`${get('p1', '/slow')}CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\n`);
    await origin.waitForRequests(1);
    await new Promise((r) => setTimeout(r, 50));
    origin.requests[0]?.conn.socket.write(ok('slow'), 'latin1');
    expect((await c.response({ within: 2000 })).body).toBe('slow');
    expect((await c.response({ within: 2000 })).status).toBe(501);
    await c.waitClosed();
    expect(origin.requests).toHaveLength(1);
  });
});
