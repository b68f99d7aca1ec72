import { describe, expect } from 'vitest';
import { once } from 'node:events';
import type { LabEvent } from '@keepalive-lab/core';
import { connClose, get, originEvents, test, waitForEvent } from './fixtures.js';
import { exchange, GET } from './raw-client.js';

type FaultEvent = Extract<LabEvent, { event: 'fault' }>;

/** The origin's event that a connection's closing window opened: from then on, a request on it dies. */
const windowOpen =
  (conn: number) =>
  (e: LabEvent): e is FaultEvent =>
    e.event === 'fault' && e.fault === 'closeWindow-open' && e.conn === conn;

/**
 * No sleeps: a test waits for the window-open event, then sends. The windows
 * are long (1 s, 10 s) next to the few ms a request takes to arrive, so
 * "inside the window" holds on a busy machine; the timer bounds allow the
 * same slack as the idleCloseBuffer tests.
 */
describe('origin closeWindow: the idle-close race as a rule', () => {
  test('a request arriving in the closing window gets not a byte; the origin records its arrival and the drop', async ({ lab }) => {
    const { port, recorder, origin } = await lab.start({ keepAliveTimeout: 200, idleCloseBuffer: 0, closeWindow: 1000 });
    const socket = await lab.raw(port);

    const first = await exchange(socket, GET('before'));
    expect(first.statusLine).toBe('HTTP/1.1 200 OK');
    const open = await waitForEvent(recorder, windowOpen(1));

    let after = 0;
    socket.on('data', (c: Buffer) => (after += c.length));
    socket.on('error', () => {
      // A reset instead of a FIN is as valid an outcome; 'close' is what we assert.
    });
    socket.write(GET('late'));
    await once(socket, 'close');

    expect(after).toBe(0);
    expect(originEvents(recorder, 'request').map((e) => [e.id, e.conn, e.nth])).toEqual([
      ['before', 1, 1],
      ['late', 1, 2],
    ]);
    expect(originEvents(recorder, 'fault').map((e) => [e.fault, e.conn, e.id])).toEqual([
      ['closeWindow-open', 1, null],
      ['closeWindow', 1, 'late'],
    ]);
    const closed = await waitForEvent(recorder, connClose(1));
    expect(closed).toMatchObject({ reason: 'idle-timeout', requests: 1 });
    // Closed by the drop, not by the end of the window.
    expect(closed.t - open.t).toBeLessThan(1000);
    expect(origin.counters).toMatchObject({ requestsReceived: 2, requestsAnswered: 1, faults: 1 });
  });

  test("node's client reusing its pooled socket in the window gets an error, not a status", async ({ lab }) => {
    // No hint: node's Agent would not pool a socket advertised as `timeout=0`.
    const { port, recorder } = await lab.start({ keepAliveTimeout: 200, idleCloseBuffer: 0, closeWindow: 1000, keepAliveHint: false });
    const agent = lab.agent({ keepAlive: true, maxSockets: 1 });

    expect((await get(port, { agent, id: 'fresh' })).status).toBe(200);
    await waitForEvent(recorder, windowOpen(1));
    const outcome = await get(port, { agent, id: 'pooled' }).then(
      (r) => `status ${r.status}`,
      (err: NodeJS.ErrnoException) => err.code,
    );

    expect(outcome).toBe('ECONNRESET'); // 'socket hang up': the connection closed with no answer
    expect(originEvents(recorder, 'request').map((e) => [e.id, e.conn, e.nth])).toEqual([
      ['fresh', 1, 1],
      ['pooled', 1, 2], // the same connection: the agent did reuse it
    ]);
    expect(originEvents(recorder, 'fault')).toMatchObject([{ fault: 'closeWindow-open' }, { fault: 'closeWindow', id: 'pooled' }]);
  });

  test('a request sent before the idle timer fires is answered; the window then closes the socket at its end', async ({ lab }) => {
    const { port, recorder } = await lab.start({ keepAliveTimeout: 1000, idleCloseBuffer: 0, closeWindow: 300 });
    const socket = await lab.raw(port);
    const ended = once(socket, 'end');

    const replies = [await exchange(socket, GET('a')), await exchange(socket, GET('b'))];
    expect(replies.map((r) => [r.statusLine, r.headers.get('x-lab-origin-nth')])).toEqual([
      ['HTTP/1.1 200 OK', '1'],
      ['HTTP/1.1 200 OK', '2'],
    ]);

    await ended; // the origin's FIN at the window's end: the client never wrote again nor closed
    const open = await waitForEvent(recorder, windowOpen(1));
    const closed = await waitForEvent(recorder, connClose(1));
    const b = originEvents(recorder, 'request').find((e) => e.id === 'b');
    expect(open.t).toBeGreaterThan(b?.t ?? Infinity);
    expect(closed).toMatchObject({ reason: 'idle-timeout', requests: 2 });
    expect(closed.t - open.t).toBeGreaterThanOrEqual(250);
    expect(closed.t - open.t).toBeLessThan(1300);
    expect(originEvents(recorder, 'fault').map((e) => e.fault)).toEqual(['closeWindow-open']);
  });

  test('close() during a window ends the socket at once, reason server-close', async ({ lab }) => {
    const { port, recorder, origin } = await lab.start({ keepAliveTimeout: 200, idleCloseBuffer: 0, closeWindow: 10_000 });
    const socket = await lab.raw(port);
    await exchange(socket, GET('idle'));
    const open = await waitForEvent(recorder, windowOpen(1));

    await origin.close();

    const closed = await waitForEvent(recorder, connClose(1));
    expect(closed).toMatchObject({ reason: 'server-close', requests: 1 });
    expect(closed.t - open.t).toBeLessThan(5000);
    expect(origin.openSockets).toBe(0);
  });

  test('closeWindow 0 closes at once, as node does, and records no window', async ({ lab }) => {
    const { port, recorder } = await lab.start({ keepAliveTimeout: 200, idleCloseBuffer: 0, closeWindow: 0 });
    const socket = await lab.raw(port);
    const ended = once(socket, 'end');

    await exchange(socket, GET('idle'));
    await ended;

    expect(await waitForEvent(recorder, connClose(1))).toMatchObject({ reason: 'idle-timeout', requests: 1 });
    expect(originEvents(recorder, 'fault')).toEqual([]);
  });
});
