import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import {
  constants as h2,
  createServer as createH2Server,
  type Http2Server,
  type Http2Session,
  type IncomingHttpHeaders as H2Headers,
  type ServerHttp2Stream,
} from 'node:http2';
import { createServer as createNetServer } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { Recorder, type LabEvent } from '@keepalive-lab/core';
import { createProxy } from '../src/create-proxy.js';
import type { LabProxy } from '../src/kinds/component.js';
import type { L7Stats } from '../src/l7-kit/l7-base.js';

/**
 * l7 with upstreamProtocol h2c against a real node:http2 cleartext origin
 * (prior knowledge): every request a stream on one session per origin.
 * The origin below records each stream's session and remote port and echoes
 * what it got (method, path, authority, headers, body) as JSON.
 */

type EventOf<K extends LabEvent['event']> = Extract<LabEvent, { event: K }>;

interface SeenStream {
  session: Http2Session;
  remotePort: number | undefined;
  headers: H2Headers;
  body: string;
}

type Behaviour = (stream: ServerHttp2Stream, headers: H2Headers, seen: SeenStream) => boolean;

class H2Origin {
  readonly server: Http2Server = createH2Server();
  readonly streams: SeenStream[] = [];
  readonly sessions = new Set<Http2Session>();
  behaviour: Behaviour | null = null;
  port = 0;

  constructor() {
    this.server.on('session', (s) => {
      this.sessions.add(s);
      s.on('error', () => {});
    });
    this.server.on('stream', (stream, headers) => {
      stream.on('error', () => {});
      const seen: SeenStream = {
        session: stream.session as Http2Session,
        remotePort: stream.session?.socket?.remotePort,
        headers,
        body: '',
      };
      this.streams.push(seen);
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        seen.body = Buffer.concat(chunks).toString('latin1');
        if (this.behaviour?.(stream, headers, seen) === true) return;
        if (headers[':path'] === '/hash') {
          const all = Buffer.concat(chunks);
          stream.respond({ ':status': 200 });
          stream.end(`${all.length} ${createHash('sha256').update(all).digest('hex')}`);
          return;
        }
        const body = JSON.stringify({
          method: headers[':method'],
          path: headers[':path'],
          authority: headers[':authority'],
          headers: Object.fromEntries(Object.entries(headers).filter(([k]) => !k.startsWith(':'))),
          body: seen.body,
          remotePort: seen.remotePort,
        });
        stream.respond({ ':status': 200, 'content-type': 'application/json', 'x-origin': 'h2', 'set-cookie': ['a=1', 'b=2'] });
        stream.end(body);
      });
    });
  }

  async listen(): Promise<this> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  ports(): Set<number | undefined> {
    return new Set(this.streams.map((s) => s.remotePort));
  }

  async close(): Promise<void> {
    for (const s of this.sessions) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  clientPort: number;
}

function send(
  port: number,
  agent: Agent,
  opts: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, agent, method: opts.method ?? 'GET', path: opts.path ?? '/', headers: opts.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('latin1'),
            clientPort: req.socket?.localPort ?? 0,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Setup {
  origin: H2Origin;
  proxy: LabProxy & { stats(): L7Stats };
  port: number;
  agent: Agent;
  recorder: Recorder;
  events<K extends LabEvent['event']>(kind: K): Array<EventOf<K>>;
}

async function setup(knobs: Record<string, unknown> = {}, originPort?: number): Promise<Setup> {
  const origin = await new H2Origin().listen();
  cleanups.push(() => origin.close());
  const recorder = new Recorder();
  const proxy = (await createProxy(
    'l7',
    { upstreamProtocol: 'h2c', upstreamTimeout: 2000, ...knobs },
    {
      targets: [{ host: '127.0.0.1', port: originPort ?? origin.port }],
      recorder,
    },
  )) as LabProxy & { stats(): L7Stats };
  const ep = await proxy.listen();
  cleanups.push(() => proxy.close());
  const agent = new Agent({ keepAlive: true, maxSockets: 5 });
  cleanups.push(() => agent.destroy());
  const events = <K extends LabEvent['event']>(kind: K): Array<EventOf<K>> =>
    recorder.events.filter((e): e is EventOf<K> => e.event === kind);
  return { origin, proxy, port: ep.port, agent, recorder, events };
}

describe('l7 upstreamProtocol h2c', () => {
  test('20 concurrent requests from 5 client connections arrive as 20 streams on one session', async () => {
    const { origin, proxy, port, agent, events } = await setup();
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) => send(port, agent, { path: `/r/${i}?q=${i}`, headers: { 'x-lab-request-id': `r${i}` } })),
    );
    expect(new Set(replies.map((r) => r.clientPort)).size).toBe(5);
    expect(origin.streams).toHaveLength(20);
    expect(origin.sessions.size).toBe(1);
    expect(origin.ports().size).toBe(1);
    const [upstreamPort] = [...origin.ports()];
    for (const [i, r] of replies.entries()) {
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['x-origin']).toBe('h2');
      expect(r.headers['set-cookie']).toEqual(['a=1', 'b=2']);
      expect(r.headers.via).toBe('1.1 l7');
      const echo = JSON.parse(r.body) as { method: string; path: string; authority: string; remotePort: number };
      expect(echo).toMatchObject({ method: 'GET', path: `/r/${i}?q=${i}`, authority: `127.0.0.1:${port}`, remotePort: upstreamPort });
    }
    const opens = events('upstream-open');
    expect(opens).toEqual([
      expect.objectContaining({ upstreamConn: 1, localPort: upstreamPort, clientConn: null, target: `127.0.0.1:${origin.port}` }),
    ]);
    const forwards = events('forward');
    expect(forwards).toHaveLength(20);
    expect(forwards.every((f) => f.upstreamConn === 1 && f.localPort === upstreamPort && f.attempt === 1)).toBe(true);
    expect(forwards.map((f) => f.reused)).toEqual([false, ...Array<boolean>(19).fill(true)]);
    expect(proxy.stats()).toMatchObject({
      upstreamConnections: 1,
      upstreamReuses: 19,
      openUpstreamSockets: 1,
      idleUpstreamSockets: 1,
      rejects: 0,
    });
  });
});

describe('l7 upstreamProtocol h2c: translation', () => {
  test('a POST body arrives byte-exact, with Content-Length and chunked', async () => {
    const { port, agent } = await setup();
    const body = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(300_000)]);
    const want = `${body.length} ${createHash('sha256').update(body).digest('hex')}`;
    const sized = await send(port, agent, { method: 'POST', path: '/hash', headers: { 'content-length': String(body.length) }, body });
    expect(sized.status).toBe(200);
    expect(sized.body).toBe(want);
    // Without Content-Length node's client sends it chunked: the proxy drops Transfer-Encoding, HTTP/2 frames it.
    const chunked = await new Promise<string>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, agent, method: 'POST', path: '/hash' }, (res) => {
        let text = '';
        res.setEncoding('latin1');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.write(body.subarray(0, 1000));
      setTimeout(() => req.end(body.subarray(1000)), 20);
    });
    expect(chunked).toBe(want);
  });

  test('hop-by-hop fields, and one the client named in Connection, never reach the origin', async () => {
    const { origin, port, agent } = await setup();
    const r = await send(port, agent, {
      path: '/h',
      headers: {
        connection: 'keep-alive, x-secret',
        'x-secret': 'hop',
        'keep-alive': 'timeout=5',
        'proxy-connection': 'keep-alive',
        upgrade: 'h2c',
        te: 'trailers, deflate',
        'x-end-to-end': 'kept',
      },
    });
    expect(r.status).toBe(200);
    const got = origin.streams[0]?.headers as H2Headers;
    for (const name of ['connection', 'x-secret', 'keep-alive', 'proxy-connection', 'upgrade', 'transfer-encoding', 'host']) {
      expect(got[name], name).toBeUndefined();
    }
    expect(got[':authority']).toBe(`127.0.0.1:${port}`);
    expect(got[':scheme']).toBe('http');
    expect(got.te).toBe('trailers');
    expect(got['x-end-to-end']).toBe('kept');
    expect(got.via).toBe('1.1 l7');
    expect(got['x-forwarded-for']).toBe('127.0.0.1');
  });

  test('a response without Content-Length is chunked to the client, one with it keeps it; bodies intact', async () => {
    const { origin, port, agent } = await setup();
    const big = randomBytes(2_000_000);
    origin.behaviour = (stream, headers) => {
      if (headers[':path'] === '/sized') stream.respond({ ':status': 203, 'content-length': String(big.length) });
      else stream.respond({ ':status': 200 });
      stream.end(big);
      return true;
    };
    const sized = await send(port, agent, { path: '/sized' });
    expect(sized.status).toBe(203);
    expect(sized.headers['content-length']).toBe(String(big.length));
    expect(Buffer.from(sized.body, 'latin1').equals(big)).toBe(true);
    const unsized = await send(port, agent, { path: '/unsized' });
    expect(unsized.headers['transfer-encoding']).toBe('chunked');
    expect(Buffer.from(unsized.body, 'latin1').equals(big)).toBe(true);
  });
});

describe('l7 upstreamProtocol h2c: sessions', () => {
  test("the origin's GOAWAY: the next request opens a new session and succeeds", async () => {
    const { origin, proxy, port, agent, events } = await setup();
    let held: ServerHttp2Stream | null = null;
    origin.behaviour = (stream, headers) => {
      if (headers[':path'] === '/hold') {
        held = stream;
        return true;
      }
      if (headers[':path'] !== '/bye') return false;
      stream.respond({ ':status': 200 });
      stream.end('bye');
      // GOAWAY (NO_ERROR): every stream so far is processed, none after; the held one keeps the session open.
      stream.session?.goaway(h2.NGHTTP2_NO_ERROR, stream.id);
      return true;
    };
    const hold = send(port, agent, { path: '/hold' });
    await waitFor(() => held);
    expect((await send(port, agent, { path: '/bye' })).body).toBe('bye');
    // The old session is draining, not closed: the next request must not go on it.
    const after = await send(port, agent, { path: '/after' });
    expect(after.status).toBe(200);
    expect(proxy.stats().openUpstreamSockets).toBe(2);
    expect(events('upstream-close')).toEqual([]);
    const h = held as unknown as ServerHttp2Stream;
    h.respond({ ':status': 200 });
    h.end('held');
    expect((await hold).body).toBe('held');
    // Its last stream done, the old session closes: the origin ended it.
    const close = await waitFor(() => events('upstream-close')[0]);
    expect(close).toMatchObject({ upstreamConn: 1, reason: 'peer-closed' });
    expect(origin.sessions.size).toBe(2);
    expect(origin.ports().size).toBe(2);
    expect(events('upstream-open').map((e) => e.upstreamConn)).toEqual([1, 2]);
    expect(events('forward').map((f) => [f.upstreamConn, f.reused])).toEqual([
      [1, false],
      [1, true],
      [2, false],
    ]);
    expect((await send(port, agent, { path: '/again' })).status).toBe(200);
    expect(events('forward').at(-1)).toMatchObject({ upstreamConn: 2, reused: true });
  });

  test('a GET refused by a GOAWAY (REFUSED_STREAM) is retried once on a new session; a POST is answered 502', async () => {
    const { origin, proxy, port, agent, events } = await setup();
    let held: ServerHttp2Stream | null = null;
    let refusals = 0;
    origin.behaviour = (stream, headers) => {
      if (headers[':path'] === '/hold') {
        held = stream;
        return true;
      }
      if (headers[':path'] === '/refuse' && refusals === 0) {
        refusals++;
        // Only the held stream was processed: this one (a higher id) is refused.
        stream.session?.goaway(h2.NGHTTP2_NO_ERROR, (held as unknown as ServerHttp2Stream).id);
        const h = held as unknown as ServerHttp2Stream;
        setTimeout(() => {
          h.respond({ ':status': 200 });
          h.end('held');
        }, 50);
        return true;
      }
      return false;
    };
    const hold = send(port, agent, { path: '/hold' });
    await waitFor(() => held);
    const refused = await send(port, agent, { path: '/refuse', headers: { 'x-lab-request-id': 'g' } });
    expect(refused.status).toBe(200);
    expect((await hold).body).toBe('held');
    const fwd = events('forward').filter((f) => f.id === 'g');
    expect(fwd.map((f) => [f.attempt, f.upstreamConn, f.reused])).toEqual([
      [1, 1, true],
      [2, 2, false],
    ]);
    expect(proxy.stats().retries).toBe(1);
    expect(events('reject')).toEqual([]);

    // The same with a POST: never sent twice.
    held = null;
    refusals = 0;
    const hold2 = send(port, agent, { path: '/hold' });
    await waitFor(() => held);
    const post = await send(port, agent, { method: 'POST', path: '/refuse', headers: { 'x-lab-request-id': 'p' } });
    expect(post.status).toBe(502);
    expect((await hold2).body).toBe('held');
    expect(events('reject')).toEqual([expect.objectContaining({ id: 'p', status: 502, why: 'NGHTTP2_REFUSED_STREAM' })]);
    expect(events('forward').filter((f) => f.id === 'p')).toHaveLength(1);
    expect(proxy.stats().retries).toBe(1);
  });

  test('a refused connect answers 502 with a reject event; nothing opened', async () => {
    const closedPort = await freePort();
    const { port, agent, events, proxy } = await setup({}, closedPort);
    const r = await send(port, agent, { path: '/', headers: { 'x-lab-request-id': 'x' } });
    expect(r.status).toBe(502);
    expect(events('reject')).toEqual([expect.objectContaining({ id: 'x', status: 502, why: 'ECONNREFUSED' })]);
    expect(events('upstream-open')).toEqual([]);
    expect(events('forward')).toEqual([expect.objectContaining({ id: 'x', localPort: null, attempt: 1 })]);
    // The next request tries a new session (and is refused the same way).
    expect((await send(port, agent, { path: '/' })).status).toBe(502);
    expect(proxy.stats()).toMatchObject({ upstreamConnections: 0, openUpstreamSockets: 0, rejects: 2 });
  });

  test('upstreamTimeout answers 504 and cancels only that stream: the session carries the next request', async () => {
    const { origin, port, agent, events } = await setup({ upstreamTimeout: 200 });
    const cancelled: number[] = [];
    origin.behaviour = (stream, headers) => {
      if (headers[':path'] !== '/silent') return false;
      stream.on('close', () => cancelled.push(stream.rstCode));
      return true;
    };
    const t0 = performance.now();
    const r = await send(port, agent, { path: '/silent', headers: { 'x-lab-request-id': 's' } });
    expect(r.status).toBe(504);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(190);
    expect(events('reject')).toEqual([expect.objectContaining({ id: 's', status: 504, why: 'UPSTREAM_TIMEOUT' })]);
    await waitFor(() => cancelled[0]);
    expect(cancelled).toEqual([h2.NGHTTP2_CANCEL]);
    expect((await send(port, agent, { path: '/next' })).status).toBe(200);
    expect(origin.sessions.size).toBe(1);
    expect(events('forward').map((f) => [f.upstreamConn, f.reused])).toEqual([
      [1, false],
      [1, true],
    ]);
    expect(events('upstream-close')).toEqual([]);
  });

  test('a client that leaves mid-answer cancels its stream, not the session', async () => {
    const { origin, port, agent, events } = await setup();
    const cancelled: number[] = [];
    origin.behaviour = (stream, headers) => {
      if (headers[':path'] !== '/drip') return false;
      stream.respond({ ':status': 200 });
      stream.write('first');
      stream.on('close', () => cancelled.push(stream.rstCode));
      return true;
    };
    await new Promise<void>((resolve) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/drip' }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => {});
      req.end();
    });
    await waitFor(() => cancelled[0]);
    expect(cancelled).toEqual([h2.NGHTTP2_CANCEL]);
    expect((await send(port, agent, { path: '/again' })).status).toBe(200);
    expect(origin.sessions.size).toBe(1);
    expect(events('upstream-close')).toEqual([]);
  });

  test('poolIdleTimeout closes a session with no stream open for that long; the next request opens another', async () => {
    const { origin, port, agent, events, proxy } = await setup({ poolIdleTimeout: 150 });
    expect((await send(port, agent)).status).toBe(200);
    const close = await waitFor(() => events('upstream-close')[0]);
    expect(close).toMatchObject({ upstreamConn: 1, reason: 'pool-idle-timeout' });
    await waitFor(() => (proxy.stats().openUpstreamSockets === 0 ? true : undefined));
    expect((await send(port, agent)).status).toBe(200);
    expect(origin.sessions.size).toBe(2);
  });

  test('close() closes every session (server-close) and leaves no socket open', async () => {
    const { port, agent, events, proxy } = await setup();
    await Promise.all(Array.from({ length: 5 }, () => send(port, agent)));
    agent.destroy();
    expect(proxy.stats().openUpstreamSockets).toBe(1);
    const t0 = performance.now();
    await proxy.close();
    expect(performance.now() - t0).toBeLessThan(400); // not the close grace: the session ends cleanly
    expect(events('upstream-close')).toEqual([expect.objectContaining({ upstreamConn: 1, reason: 'server-close' })]);
    expect(proxy.openSockets).toBe(0);
    expect(proxy.stats().openUpstreamSockets).toBe(0);
  });
});

async function waitFor<T>(probe: () => T | undefined | null, ms = 3000): Promise<T> {
  const until = performance.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== null) return v;
    if (performance.now() > until) throw new Error('waitFor: timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function freePort(): Promise<number> {
  const s = createNetServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
