import { describe, expect } from 'vitest';
import { once } from 'node:events';
import { connClose, get, originEvents, test, waitForEvent } from './fixtures.js';
import { exchange, GET } from './raw-client.js';

const KEEP_ALIVE_MS = 200;
/** lib/_http_server.js HTTP_SERVER_KEEP_ALIVE_TIMEOUT_BUFFER: node closes this much after what it advertises. */
const NODE_BUFFER_MS = 1000;

describe("origin keep-alive idle timeout (node's own)", () => {
  test('closes an idle socket with reason idle-timeout, not before the advertised timeout', async ({ lab }) => {
    const { port, recorder } = await lab.start({ keepAliveTimeout: KEEP_ALIVE_MS });
    // A raw client: node's Agent would itself drop a socket advertised as `timeout=0`.
    const socket = await lab.raw(port);
    const ended = once(socket, 'end');

    const reply = await exchange(socket, GET('idle'));
    expect(reply.statusLine).toBe('HTTP/1.1 200 OK');
    expect(reply.headers.get('connection')).toBe('keep-alive');
    expect(reply.headers.get('keep-alive')).toBe('timeout=0'); // floor(200 / 1000)

    await ended; // the origin's FIN: the client never closed
    const closed = await waitForEvent(recorder, connClose(1));
    const [request] = originEvents(recorder, 'request');
    expect(closed).toMatchObject({ reason: 'idle-timeout', requests: 1 });
    // Lower bounds only: node arms keepAliveTimeout + its 1000 ms buffer after the response.
    expect(closed.t - (request?.t ?? Infinity)).toBeGreaterThanOrEqual(KEEP_ALIVE_MS);
    expect(closed.t - (request?.t ?? Infinity)).toBeGreaterThan(NODE_BUFFER_MS);
  });

  test('sends the Keep-Alive hint by default', async ({ lab }) => {
    const { port } = await lab.start({ keepAliveTimeout: 2000 });
    const agent = lab.agent({ keepAlive: true, maxSockets: 1 });

    const reply = await get(port, { agent });

    expect(reply.headers.connection).toBe('keep-alive');
    expect(reply.headers['keep-alive']).toBe('timeout=2');
  });

  test('keepAliveHint: false omits the hint and still keeps the connection alive', async ({ lab }) => {
    const { port } = await lab.start({ keepAliveTimeout: 2000, keepAliveHint: false });
    const agent = lab.agent({ keepAlive: true, maxSockets: 1 });

    const first = await get(port, { agent });
    const second = await get(port, { agent });

    expect(first.headers.connection).toBe('keep-alive');
    expect(first.headers['keep-alive']).toBeUndefined();
    expect([second.headers['x-lab-origin-conn'], second.headers['x-lab-origin-nth']]).toEqual(['1', '2']);
  });

  test("keepAliveHint: false leaves node's idle close in place", async ({ lab }) => {
    const { port, recorder } = await lab.start({ keepAliveTimeout: KEEP_ALIVE_MS, keepAliveHint: false });
    const socket = await lab.raw(port);

    const reply = await exchange(socket, GET('quiet'));
    expect(reply.headers.has('keep-alive')).toBe(false);

    expect(await waitForEvent(recorder, connClose(1))).toMatchObject({ reason: 'idle-timeout', requests: 1 });
  });
});
