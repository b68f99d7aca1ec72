import { describe, expect } from 'vitest';
import { ok } from './helpers/l7-fake-origin.js';
import { ENGINES, get, l7Test as test } from './helpers/l7-fixture.js';

/** How long a test waits for an answer that must come: a hang fails here, not at testTimeout. */
const WITHIN = 2000;

const HINTS = 'HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\nConnection: X-Hint\r\nX-Hint: hop\r\n\r\n';
const PROCESSING = 'HTTP/1.1 102 Processing\r\n\r\n';
const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';

/**
 * Interim (1xx) responses from the origin (RFC 9110 §15.2): forwarded to an
 * HTTP/1.1 client ahead of the final response, hop-by-hop fields stripped;
 * never sent to an HTTP/1.0 client; an origin's 100 Continue is not repeated
 * to a client the proxy already sent its own 100 (§10.1.1). Whatever
 * happens to them, the final response must arrive.
 */
describe.each(ENGINES)('%s interim responses (RFC 9110 §15.2)', (kind) => {
  test.scoped({ kind });
  test('103 Early Hints reaches the client before the final response, and the connection stays usable', async ({ lab }) => {
    const origin = await lab.origin((r) => (r.target === '/hinted' ? HINTS + ok('styled') : ok('plain')));
    const proxy = await lab.proxy([origin]);
    const c = await lab.client(proxy);
    c.write(get('h1', '/hinted'));
    const hints = await c.response({ within: WITHIN });
    expect(hints.status).toBe(103);
    expect(hints.field('link')).toBe('</style.css>; rel=preload; as=style');
    // Hop-by-hop fields of the interim response stop at the proxy, as a final response's do.
    expect(hints.field('x-hint')).toBeUndefined();
    expect(hints.field('connection')).toBeUndefined();
    expect(hints.field('via')).toBe(`1.1 ${kind}`);
    const res = await c.response({ within: WITHIN });
    expect(res.status).toBe(200);
    expect(res.body).toBe('styled');
    // The upstream socket carried a whole exchange: pooled and reused for the next request.
    c.write(get('h2', '/after'));
    const next = await c.response({ within: WITHIN });
    expect(next.body).toBe('plain');
    expect(c.unread).toBe('');
    expect(origin.conns).toHaveLength(1);
    expect(proxy.stats()).toMatchObject({ upstreamReuses: 1, rejects: 0 });
  });

  test('several interim responses are forwarded in order, then the final one', async ({ lab }) => {
    const origin = await lab.origin(() => PROCESSING + HINTS + ok('done'));
    const proxy = await lab.proxy([origin]);
    const c = await lab.client(proxy);
    c.write(get('multi'));
    const seen: number[] = [];
    for (;;) {
      const r = await c.response({ within: WITHIN });
      seen.push(r.status);
      if (r.status >= 200) {
        expect(r.body).toBe('done');
        break;
      }
    }
    expect(seen).toEqual([102, 103, 200]);
  });

  test('an interim response of a pipelined request waits its turn behind the earlier answer', async ({ lab }) => {
    const origin = await lab.origin((r) => (r.target === '/slow' ? { silent: true } : HINTS + ok('second')));
    const proxy = await lab.proxy([origin], { upstreamTimeout: 5000 });
    const c = await lab.client(proxy);
    c.write(get('p1', '/slow') + get('p2', '/hinted'));
    await origin.waitForRequests(2);
    // The second exchange's 103 and 200 are in; the first answer is not: nothing may be written yet.
    await new Promise((r) => setTimeout(r, 50));
    expect(c.received).toBe('');
    origin.requests.find((r) => r.target === '/slow')?.conn.socket.write(ok('first'));
    expect((await c.response({ within: WITHIN })).body).toBe('first');
    expect((await c.response({ within: WITHIN })).status).toBe(103);
    expect((await c.response({ within: WITHIN })).body).toBe('second');
  });

  test('an HTTP/1.0 client never gets an interim response, only the final one', async ({ lab }) => {
    const origin = await lab.origin(() => HINTS + ok('old'));
    const proxy = await lab.proxy([origin]);
    const c = await lab.client(proxy);
    c.write('GET / HTTP/1.0\r\nHost: lab\r\n\r\n');
    const res = await c.response({ within: WITHIN });
    expect(res.status).toBe(200);
    expect(res.body).toBe('old');
    expect(c.received).not.toContain('103');
  });

  test('Expect: 100-continue through an origin that sends its own 100: one 100, the body goes up, the answer comes back', async ({
    lab,
  }) => {
    const origin = await lab.origin((r) => ok(`got ${r.body}`));
    // As node's server does: a 100 as soon as the head carries the expectation.
    origin.onHead = (h) => (/\r\nexpect: *100-continue\r\n/i.test(h) ? CONTINUE : null);
    const proxy = await lab.proxy([origin]);
    const c = await lab.client(proxy);
    c.write('PUT /doc HTTP/1.1\r\nHost: lab\r\nx-lab-request-id: ec\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n');
    const interim = await c.response({ within: WITHIN });
    expect(interim.status).toBe(100);
    // The client waited for its 100; only now does the body leave.
    c.write('hello');
    const res = await c.response({ within: WITHIN });
    expect(res.status).toBe(200);
    expect(res.body).toBe('got hello');
    expect(c.unread).toBe('');
    expect(origin.requests[0]?.body).toBe('hello');
    // And the connection goes on: the origin's 100 did not end the exchange early.
    c.write(get('after'));
    expect((await c.response({ within: WITHIN })).body).toBe('got ');
    expect(lab.events('reject')).toEqual([]);
  });

  test("a pipelined request's 100 Continue waits its turn, and its answer's head comes after it", async ({ lab }) => {
    const origin = await lab.origin((r) => (r.target === '/slow' ? { silent: true } : ok(`got ${r.body}`)));
    const proxy = await lab.proxy([origin], { upstreamTimeout: 5000 });
    const c = await lab.client(proxy);
    // A pipelining client does not wait for its 100: the body follows at once.
    c.write(`${get('p1', '/slow')}PUT /doc HTTP/1.1\r\nHost: lab\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello`);
    await origin.waitForRequests(2);
    await new Promise((r) => setTimeout(r, 50));
    expect(c.received).toBe('');
    origin.requests.find((r) => r.target === '/slow')?.conn.socket.write(ok('first'));
    expect((await c.response({ within: WITHIN })).body).toBe('first');
    expect((await c.response({ within: WITHIN })).status).toBe(100);
    const res = await c.response({ within: WITHIN });
    expect(res.status).toBe(200);
    expect(res.body).toBe('got hello');
  });

  test('a 100 Continue the client did not ask for is forwarded like any interim response', async ({ lab }) => {
    const origin = await lab.origin(() => CONTINUE + ok('fine'));
    const proxy = await lab.proxy([origin]);
    const c = await lab.client(proxy);
    c.write(get('unasked'));
    expect((await c.response({ within: WITHIN })).status).toBe(100);
    expect((await c.response({ within: WITHIN })).body).toBe('fine');
  });

  test('a 101 the proxy never asked for is a 502, and that upstream socket is closed', async ({ lab }) => {
    const origin = await lab.origin(() => 'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n\0\0\0\x04');
    const proxy = await lab.proxy([origin]);
    const c = await lab.client(proxy);
    c.write(get('switch'));
    const res = await c.response({ within: WITHIN });
    expect(res.status).toBe(502);
    expect(c.received).not.toContain('101');
    await origin.waitForClosed(1);
    expect(proxy.stats().openUpstreamSockets).toBe(0);
  });
});
