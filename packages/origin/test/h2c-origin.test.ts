import { once } from 'node:events';
import { connect as tcpConnect } from 'node:net';
import { describe, expect } from 'vitest';
import type { LabEvent } from '@keepalive-lab/core';
import { createOrigin } from '../src/index.js';
import { connClose, originEvents, waitForEvent } from './fixtures.js';
import { h2request, test } from './h2c-fixtures.js';

const closeOf = (conn: number) => connClose(conn);
type ConnClose = Extract<LabEvent, { event: 'conn-close' }>;

describe('h2c origin: one TCP connection, many streams', () => {
  test('20 concurrent streams on one session: one connection, nth 1..20, the stamps on every answer', async ({ h2 }) => {
    const { port, recorder, origin } = await h2.start();
    const client = await h2.session(port);
    const localPort = client.socket.localPort;

    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => h2request(client, { id: `r${i}` })));

    expect(originEvents(recorder, 'conn-open')).toEqual([expect.objectContaining({ conn: 1, remotePort: localPort })]);
    const requests = originEvents(recorder, 'request');
    expect(requests.map((e) => e.nth)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(new Set(requests.map((e) => e.conn))).toEqual(new Set([1]));
    expect(new Set(requests.map((e) => e.remotePort))).toEqual(new Set([localPort]));
    expect(new Set(requests.map((e) => e.id))).toEqual(new Set(Array.from({ length: 20 }, (_, i) => `r${i}`)));
    expect(requests.every((e) => e.method === 'GET' && e.bytes === 0)).toBe(true);
    for (const r of replies) {
      expect(r.status).toBe(200);
      expect(r.body).toBe('ok\n');
      expect(r.headers).toMatchObject({
        'x-lab-origin': 'origin',
        'x-lab-origin-conn': '1',
        'x-lab-origin-port': String(localPort),
        'content-length': '3',
      });
    }
    // Each answer's nth is its own stream's, as the request event says.
    const nthById = new Map(requests.map((e) => [e.id, String(e.nth)]));
    expect(replies.map((r) => r.headers['x-lab-origin-nth'])).toEqual(replies.map((_, i) => nthById.get(`r${i}`)));
    expect(origin.counters).toMatchObject({ connectionsOpened: 1, connectionsOpen: 1, requestsReceived: 20, requestsAnswered: 20 });
  });

  test('two sessions are two connections, each with its own port and nth from 1', async ({ h2 }) => {
    const { port, recorder } = await h2.start();
    const a = await h2.session(port);
    const b = await h2.session(port);

    const [ra, rb] = [await h2request(a, { id: 'a1' }), await h2request(b, { id: 'b1' })];
    await h2request(a, { id: 'a2' });

    const opens = originEvents(recorder, 'conn-open');
    expect(opens.map((e) => e.remotePort)).toEqual([a.socket.localPort, b.socket.localPort]);
    expect(ra.headers['x-lab-origin-conn']).toBe('1');
    expect(rb.headers['x-lab-origin-conn']).toBe('2');
    expect(originEvents(recorder, 'request').map((e) => [e.id, e.conn, e.nth])).toEqual([
      ['a1', 1, 1],
      ['b1', 2, 1],
      ['a2', 1, 2],
    ]);
  });

  test("a POST body's bytes are counted", async ({ h2 }) => {
    const { port, recorder } = await h2.start();
    const client = await h2.session(port);

    const reply = await h2request(client, { id: 'post', method: 'POST', body: Buffer.alloc(70_000, 'a') });

    expect(reply.status).toBe(200);
    expect(originEvents(recorder, 'request')).toMatchObject([{ id: 'post', method: 'POST', bytes: 70_000, nth: 1 }]);
  });

  test('responseBytes and delay hold as for HTTP/1.1', async ({ h2 }) => {
    const { port } = await h2.start({ responseBytes: 1000, delay: 100 });
    const client = await h2.session(port);

    const started = performance.now();
    const reply = await h2request(client);

    expect(performance.now() - started).toBeGreaterThanOrEqual(90);
    expect(reply.body).toHaveLength(1000);
    expect(reply.headers['content-length']).toBe('1000');
  });
});

describe('h2c origin: how connections end', () => {
  test('an idle session gets a GOAWAY and closes at keepAliveTimeout + idleCloseBuffer: idle-timeout', async ({ h2 }) => {
    const { port, recorder } = await h2.start({ keepAliveTimeout: 200, idleCloseBuffer: 0 });
    const client = await h2.session(port);
    const localPort = client.socket.localPort;
    const goaway = once(client, 'goaway');

    await h2request(client, { id: 'one' });
    const answered = performance.now();
    const closed = await waitForEvent(recorder, closeOf(1));
    const after = performance.now() - answered;

    expect(closed).toMatchObject({ reason: 'idle-timeout', requests: 1, remotePort: localPort });
    expect(after).toBeGreaterThanOrEqual(180);
    expect(after).toBeLessThan(1000); // generous: the machine is shared
    const [code] = (await goaway) as [number];
    expect(code).toBe(0); // NO_ERROR: a graceful close
  });

  test('a session that never opens a stream is idle from the start', async ({ h2 }) => {
    const { port, recorder } = await h2.start({ keepAliveTimeout: 200, idleCloseBuffer: 0 });
    await h2.session(port);

    expect(await waitForEvent(recorder, closeOf(1))).toMatchObject({ reason: 'idle-timeout', requests: 0 });
  });

  test('keepAliveTimeout 0: no idle close', async ({ h2 }) => {
    const { port, recorder, origin } = await h2.start({ keepAliveTimeout: 0, idleCloseBuffer: 0 });
    const client = await h2.session(port);
    await h2request(client);

    await new Promise((r) => setTimeout(r, 300));
    expect(originEvents(recorder, 'conn-close')).toEqual([]);
    expect(origin.counters.connectionsOpen).toBe(1);
  });

  test("the idle close waits node's extra second by default, as the HTTP/1.1 origin does", async ({ h2 }) => {
    const { port, recorder } = await h2.start({ keepAliveTimeout: 200 });
    const client = await h2.session(port);

    await h2request(client);
    const answered = performance.now();
    const closed = await waitForEvent(recorder, closeOf(1));

    expect(closed.reason).toBe('idle-timeout');
    expect(performance.now() - answered).toBeGreaterThanOrEqual(1150);
  });

  test('a session busy with a stream is not idle: the timer counts from its last stream', async ({ h2 }) => {
    const { port, recorder } = await h2.start({ keepAliveTimeout: 200, idleCloseBuffer: 0, delay: 400 });
    const client = await h2.session(port);

    const reply = await h2request(client, { id: 'slow' });
    const answered = performance.now();
    const closed = await waitForEvent(recorder, closeOf(1));

    expect(reply.status).toBe(200);
    expect(closed).toMatchObject({ reason: 'idle-timeout', requests: 1 });
    // Not 200 ms after the session opened (the stream was still open then): 200 ms after the answer.
    expect(performance.now() - answered).toBeGreaterThanOrEqual(150);
  });

  test('maxRequestsPerSocket: GOAWAY after N streams, the client reconnects, each connection closes as max-requests', async ({ h2 }) => {
    const { port, recorder } = await h2.start({ maxRequestsPerSocket: 3 });
    let client = await h2.session(port);

    for (let i = 0; i < 7; i++) {
      // A client that got the GOAWAY opens a new session, as a pool does.
      if (client.closed || client.destroyed) client = await h2.session(port);
      await h2request(client, { id: `r${i}` });
      await new Promise((r) => setImmediate(r)); // let the GOAWAY frame in
    }

    await expect.poll(() => originEvents(recorder, 'conn-close').length).toBe(2);
    expect(originEvents(recorder, 'request').map((e) => [e.conn, e.nth])).toEqual([
      [1, 1],
      [1, 2],
      [1, 3],
      [2, 1],
      [2, 2],
      [2, 3],
      [3, 1],
    ]);
    expect(originEvents(recorder, 'conn-close').map((e) => [e.conn, e.requests, e.reason])).toEqual([
      [1, 3, 'max-requests'],
      [2, 3, 'max-requests'],
    ]);
  });

  test('the client closing its session is peer-closed; a reset is peer-reset', async ({ h2 }) => {
    const { port, recorder } = await h2.start();
    const polite = await h2.session(port);
    await h2request(polite);
    polite.close();
    expect(await waitForEvent(recorder, closeOf(1))).toMatchObject({ reason: 'peer-closed', requests: 1 });

    const raw = tcpConnect(port, '127.0.0.1');
    await once(raw, 'connect');
    raw.write('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
    raw.write(Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])); // an empty SETTINGS frame
    // The origin's SETTINGS and its ACK of ours (9 bytes each): then it has nothing left to send, and the RST lands on its read.
    await new Promise<void>((resolve) => {
      let got = 0;
      raw.on('data', (chunk: Buffer) => {
        if ((got += chunk.length) >= 18) resolve();
      });
    });
    raw.resetAndDestroy();
    expect(await waitForEvent(recorder, closeOf(2))).toMatchObject({ reason: 'peer-reset', requests: 0 });
  });

  test('close(): every session gets a GOAWAY (a busy stream is answered first), nothing is left open or listening', async ({ h2 }) => {
    const { port, recorder, origin } = await h2.start({ delay: 150 });
    const idle = await h2.session(port);
    await h2request(idle, { id: 'before' });
    const busy = await h2.session(port);
    const inFlight = h2request(busy, { id: 'in-flight' });
    await expect.poll(() => originEvents(recorder, 'request').length).toBe(2);
    expect(origin.openSockets).toBe(2);

    await origin.close();

    expect((await inFlight).status).toBe(200);
    expect(origin.openSockets).toBe(0);
    const closes = originEvents(recorder, 'conn-close') as ConnClose[];
    expect(closes.map((e) => [e.conn, e.requests, e.reason]).sort()).toEqual([
      [1, 1, 'server-close'],
      [2, 1, 'server-close'],
    ]);
    const probe = tcpConnect(port, '127.0.0.1');
    const [err] = (await once(probe, 'error')) as [NodeJS.ErrnoException];
    expect(err.code).toBe('ECONNREFUSED');
  });
});

describe('h2c origin: the HTTP/1.1-only knobs are refused', () => {
  test.each([
    [{ faults: { resetMidResponse: true } }, 'faults.resetMidResponse', 'false', 'true'],
    [{ faults: { dropOnReuse: true } }, 'faults.dropOnReuse', 'false', 'true'],
    [{ faults: { silent: true } }, 'faults.silent', 'false', 'true'],
    [{ faults: { downFor: 500 } }, 'faults.downFor', '0', '500'],
    [{ closeWindow: 50 }, 'closeWindow', '0', '50'],
    [{ keepAlive: false }, 'keepAlive', 'true', 'false'],
    [{ keepAliveHint: false }, 'keepAliveHint', 'true', 'false'],
  ])('%o with h2c names %s', (options, path, expected, found) => {
    expect(() => createOrigin({ protocol: 'h2c', ...options })).toThrow(
      `origin option ${path}: expected ${expected} (HTTP/1.1 only; protocol h2c), found ${found}`,
    );
    // The same options are HTTP/1.1's to take.
    expect(() => createOrigin(options)).not.toThrow();
  });

  test('their defaults, written out, are accepted; an unknown protocol is refused', () => {
    const defaults = { keepAlive: true, keepAliveHint: true, closeWindow: 0, faults: { silent: false, downFor: 0 } };
    expect(createOrigin({ protocol: 'h2c', ...defaults }).options.protocol).toBe('h2c');
    expect(createOrigin().options.protocol).toBe('http/1.1');
    expect(() => createOrigin({ protocol: 'h3' as 'h2c' })).toThrow('origin option protocol: expected http/1.1 or h2c, found "h3"');
  });
});
