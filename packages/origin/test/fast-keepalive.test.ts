import { describe, expect } from 'vitest';
import { once } from 'node:events';
import type { LabEvent } from '@keepalive-lab/core';
import { connClose, get, originEvents, test, waitForEvent, type Reply } from './fixtures.js';
import { exchange, GET } from './raw-client.js';
import { converse } from './fast-support.js';

/** node:http's keep-alive rules, as the fast engine keeps them (each over a real socket). */
const fast = { engine: 'fast' } as const;
const header = (r: { headers: [string, string][] }, name: string) => r.headers.find(([k]) => k.toLowerCase() === name)?.[1];

describe('fast engine: keep-alive', () => {
  test('keeps an HTTP/1.1 connection alive: 5 requests, one conn-open, nth 1..5', async ({ lab }) => {
    const { port, recorder } = await lab.start(fast);
    const agent = lab.agent({ keepAlive: true, maxSockets: 1 });
    const replies: Reply[] = [];
    for (let i = 1; i <= 5; i++) replies.push(await get(port, { agent, id: `r${i}` }));

    expect(replies.map((r) => [r.headers['x-lab-origin-conn'], r.headers['x-lab-origin-nth'], r.headers.connection])).toEqual(
      [1, 2, 3, 4, 5].map((n) => ['1', String(n), 'keep-alive']),
    );
    expect(originEvents(recorder, 'conn-open')).toHaveLength(1);
    expect(originEvents(recorder, 'request').map((e) => [e.id, e.conn, e.nth, e.method, e.remotePort])).toEqual(
      [1, 2, 3, 4, 5].map((n) => [`r${n}`, 1, n, 'GET', replies[0]?.localPort]),
    );
  });

  test('Connection: close from the client: answered with Connection: close, then closed by the origin', async ({ lab }) => {
    const { port, recorder } = await lab.start(fast);
    const talk = await converse(port, 'GET / HTTP/1.1\r\nHost: lab\r\nConnection: close\r\n\r\n', { linger: 1000 });

    expect(talk.responses.map((r) => [r.statusLine, header(r, 'connection')])).toEqual([['HTTP/1.1 200 OK', 'close']]);
    expect(talk.closed).toBe(true);
    expect(await waitForEvent(recorder, connClose(1))).toMatchObject({ reason: 'connection-close', requests: 1 });
  });

  test('HTTP/1.0 without keep-alive: closed after the answer', async ({ lab }) => {
    const { port, recorder } = await lab.start(fast);
    const talk = await converse(port, 'GET / HTTP/1.0\r\n\r\n', { linger: 1000 });

    expect(talk.responses.map((r) => [r.statusLine, header(r, 'connection'), r.body.toString()])).toEqual([
      ['HTTP/1.1 200 OK', 'close', 'ok\n'],
    ]);
    expect(talk.closed).toBe(true);
    expect(await waitForEvent(recorder, connClose(1))).toMatchObject({ reason: 'connection-close', requests: 1 });
  });

  test('pipelining: 3 requests in one write, 3 answers in order (with a delay, too)', async ({ lab }) => {
    for (const delay of [0, 30]) {
      const { port, recorder } = await lab.start({ ...fast, delay });
      const head = (id: string) => `GET / HTTP/1.1\r\nHost: lab\r\nx-lab-request-id: ${id}\r\n\r\n`;
      const t0 = Date.now();
      const talk = await converse(port, head('a') + head('b') + head('c'), { responses: 3 });

      expect(talk.responses.map((r) => header(r, 'x-lab-origin-nth'))).toEqual(['1', '2', '3']);
      expect(talk.closed).toBe(false);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(delay);
      expect(originEvents(recorder, 'request').map((e) => [e.id, e.nth])).toEqual([
        ['a', 1],
        ['b', 2],
        ['c', 3],
      ]);
    }
  });

  test('idle close at keepAliveTimeout + idleCloseBuffer (200 ms + 0 ms), recorded as idle-timeout', async ({ lab }) => {
    const { port, recorder } = await lab.start({ ...fast, keepAliveTimeout: 200, idleCloseBuffer: 0 });
    const socket = await lab.raw(port);
    const ended = once(socket, 'end');
    const reply = await exchange(socket, GET('idle'));
    const answeredAt = performance.now();
    expect(reply.headers.get('keep-alive')).toBe('timeout=0');

    await ended;
    const after = performance.now() - answeredAt;
    expect(after).toBeGreaterThanOrEqual(195); // the timer's own rounding aside
    expect(after).toBeLessThan(200 + 400); // one sweep tick (20 ms) late at most, plus a busy machine
    expect(await waitForEvent(recorder, connClose(1))).toMatchObject({ reason: 'idle-timeout', requests: 1 });
  });

  test('keepAliveTimeout 0: no idle close', async ({ lab }) => {
    const { port, recorder } = await lab.start({ ...fast, keepAliveTimeout: 0, idleCloseBuffer: 0 });
    const talk = await converse(port, GET('x'), { linger: 400 });
    expect(header(talk.responses[0] ?? { headers: [] }, 'keep-alive')).toBeUndefined();
    expect(talk.closed).toBe(false);
    expect(await waitForEvent(recorder, connClose(1))).toMatchObject({ reason: 'peer-closed', requests: 1 });
  });

  test('maxRequestsPerSocket 3: the 3rd answer says Connection: close and the connection closes (max-requests)', async ({ lab }) => {
    const { port, recorder } = await lab.start({ ...fast, maxRequestsPerSocket: 3 });
    const agent = lab.agent({ keepAlive: true, maxSockets: 1 });
    const replies: Reply[] = [];
    for (let i = 0; i < 7; i++) replies.push(await get(port, { agent }));

    expect(replies.map((r) => `${r.headers['x-lab-origin-conn']}/${r.headers['x-lab-origin-nth']} ${r.headers.connection}`)).toEqual([
      '1/1 keep-alive',
      '1/2 keep-alive',
      '1/3 close',
      '2/1 keep-alive',
      '2/2 keep-alive',
      '2/3 close',
      '3/1 keep-alive',
    ]);
    expect(replies[0]?.headers['keep-alive']).toBe('timeout=5, max=3');
    expect(await waitForEvent(recorder, connClose(2))).toMatchObject({ reason: 'max-requests', requests: 3 });
    expect(await waitForEvent(recorder, connClose(1))).toMatchObject({ reason: 'max-requests', requests: 3 });
  });

  test('keepAlive false: Connection: close on every answer, a connection each', async ({ lab }) => {
    const { port, recorder } = await lab.start({ ...fast, keepAlive: false });
    const agent = lab.agent({ keepAlive: true, maxSockets: 1 });
    const replies = [await get(port, { agent }), await get(port, { agent })];
    expect(replies.map((r) => [r.headers.connection, r.headers['x-lab-origin-conn']])).toEqual([
      ['close', '1'],
      ['close', '2'],
    ]);
    expect(await waitForEvent(recorder, connClose(2))).toMatchObject({ reason: 'connection-close', requests: 1 });
  });

  test('delay: the answer waits', async ({ lab }) => {
    const { port } = await lab.start({ ...fast, delay: 150 });
    const t0 = performance.now();
    const reply = await get(port, { agent: false });
    expect(reply.status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(145);
  });

  test('the peer closing an idle connection: peer-closed', async ({ lab }) => {
    const { port, recorder } = await lab.start(fast);
    const socket = await lab.raw(port);
    await exchange(socket, GET('x'));
    socket.end();
    const closed = await waitForEvent(recorder, connClose(1));
    expect(closed).toMatchObject({ reason: 'peer-closed', requests: 1 } satisfies Partial<LabEvent>);
  });
});
