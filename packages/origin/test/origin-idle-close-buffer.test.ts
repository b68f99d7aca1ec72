import { describe, expect } from 'vitest';
import { once } from 'node:events';
import { createOrigin } from '../src/index.js';
import { connClose, originEvents, test, waitForEvent } from './fixtures.js';
import { exchange, GET } from './raw-client.js';

/**
 * Timing margins: a timer never fires before its delay, but the events are
 * stamped a little before node arms it (request) and a little after it fires
 * (conn-close), on a loop clock cached per tick: lower bounds allow 50 ms of
 * slack, upper bounds a few hundred ms for a busy 2-core machine. What the
 * bounds tell apart is a whole second (node's buffer), so neither is tight.
 */
describe('origin idleCloseBuffer: when an idle socket closes, the hint unchanged', () => {
  test('idleCloseBuffer 0 closes an idle socket at the keep-alive timeout itself, reason idle-timeout', async ({ lab }) => {
    const { port, recorder } = await lab.start({ keepAliveTimeout: 300, idleCloseBuffer: 0 });
    const socket = await lab.raw(port);
    const ended = once(socket, 'end');

    const reply = await exchange(socket, GET('idle'));
    expect(reply.headers.get('keep-alive')).toBe('timeout=0'); // floor(300 / 1000), as node advertises it

    await ended; // the origin's FIN: the client never closed
    const closed = await waitForEvent(recorder, connClose(1));
    const [request] = originEvents(recorder, 'request');
    expect(closed).toMatchObject({ reason: 'idle-timeout', requests: 1 });
    const after = closed.t - (request?.t ?? Infinity);
    expect(after).toBeGreaterThanOrEqual(250);
    expect(after).toBeLessThan(1000);
  });

  test("the default buffer is node's own: the same socket closes a second later", async ({ lab }) => {
    const { port, recorder } = await lab.start({ keepAliveTimeout: 300 });
    const socket = await lab.raw(port);

    const reply = await exchange(socket, GET('idle'));
    expect(reply.headers.get('keep-alive')).toBe('timeout=0');

    const closed = await waitForEvent(recorder, connClose(1));
    const [request] = originEvents(recorder, 'request');
    expect(closed).toMatchObject({ reason: 'idle-timeout', requests: 1 });
    expect(closed.t - (request?.t ?? Infinity)).toBeGreaterThanOrEqual(1250);
    expect(originEvents(recorder, 'fault')).toEqual([]);
  });

  test('a request clears the moved timer and its response re-arms it: the close comes at the advertised timeout after the last one', async ({
    lab,
  }) => {
    const { port, recorder } = await lab.start({ keepAliveTimeout: 1000, idleCloseBuffer: 0 });
    const socket = await lab.raw(port);

    const first = await exchange(socket, GET('one'));
    const second = await exchange(socket, GET('two'));
    expect([first.headers.get('keep-alive'), second.headers.get('keep-alive')]).toEqual(['timeout=1', 'timeout=1']);

    const closed = await waitForEvent(recorder, connClose(1));
    const last = originEvents(recorder, 'request').find((e) => e.id === 'two');
    expect(closed).toMatchObject({ reason: 'idle-timeout', requests: 2 });
    const after = closed.t - (last?.t ?? Infinity);
    expect(after).toBeGreaterThanOrEqual(950);
    expect(after).toBeLessThan(1900);
  });

  test('the advertised Keep-Alive hint is keepAliveTimeout whatever the buffer', async ({ lab }) => {
    const hints = [];
    for (const idleCloseBuffer of [0, 250, 1000, 3000]) {
      const { port } = await lab.start({ keepAliveTimeout: 2000, idleCloseBuffer });
      const reply = await exchange(await lab.raw(port), GET('hint'));
      hints.push(reply.headers.get('keep-alive'));
    }
    expect(hints).toEqual(['timeout=2', 'timeout=2', 'timeout=2', 'timeout=2']);
  });

  test('refuses a bad buffer or window, naming the option', () => {
    expect(() => createOrigin({ idleCloseBuffer: -1 })).toThrow(/idleCloseBuffer: expected a whole number >= 0, found -1/);
    expect(() => createOrigin({ closeWindow: 1.5 })).toThrow(/closeWindow: expected a whole number >= 0, found 1.5/);
  });
});
