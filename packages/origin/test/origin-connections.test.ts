import { describe, expect } from 'vitest';
import { connClose, get, originEvents, test, waitForEvent } from './fixtures.js';

describe('origin connection tracking', () => {
  test('counts nth on one keep-alive connection and stamps the port the client used', async ({ lab }) => {
    const { port, recorder, origin } = await lab.start();
    const agent = lab.agent({ keepAlive: true, maxSockets: 1 });

    const replies = [];
    for (const id of ['r1', 'r2', 'r3']) replies.push(await get(port, { agent, id }));

    const clientPort = replies[0]?.localPort;
    expect(clientPort).toBeTypeOf('number');
    expect(replies.map((r) => [r.status, r.headers['x-lab-origin-conn'], r.headers['x-lab-origin-nth']])).toEqual([
      [200, '1', '1'],
      [200, '1', '2'],
      [200, '1', '3'],
    ]);
    for (const r of replies) {
      expect(r.localPort).toBe(clientPort);
      expect(r.headers['x-lab-origin-port']).toBe(String(clientPort));
      expect(r.headers['x-lab-origin']).toBe('origin');
    }
    expect(originEvents(recorder, 'conn-open')).toMatchObject([{ conn: 1, remotePort: clientPort }]);
    expect(originEvents(recorder, 'request').map((e) => [e.id, e.conn, e.nth, e.remotePort, e.method, e.bytes])).toEqual([
      ['r1', 1, 1, clientPort, 'GET', 0],
      ['r2', 1, 2, clientPort, 'GET', 0],
      ['r3', 1, 3, clientPort, 'GET', 0],
    ]);

    agent.destroy();
    const closed = await waitForEvent(recorder, connClose(1));
    expect(closed).toMatchObject({ requests: 3, reason: 'peer-closed', remotePort: clientPort });
    expect(origin.counters).toMatchObject({ connectionsOpened: 1, connectionsOpen: 0, requestsReceived: 3, requestsAnswered: 3 });
  });

  test('gives every Connection: close client a new connection, ended by the origin', async ({ lab }) => {
    const { port, recorder } = await lab.start();

    const replies = [];
    for (const id of ['a', 'b', 'c']) replies.push(await get(port, { agent: false, id }));

    expect(replies.map((r) => [r.headers['x-lab-origin-conn'], r.headers['x-lab-origin-nth'], r.headers.connection])).toEqual([
      ['1', '1', 'close'],
      ['2', '1', 'close'],
      ['3', '1', 'close'],
    ]);
    const ports = replies.map((r) => r.localPort);
    expect(new Set(ports).size).toBe(3);
    expect(replies.map((r) => r.headers['x-lab-origin-port'])).toEqual(ports.map(String));

    for (const conn of [1, 2, 3]) {
      expect(await waitForEvent(recorder, connClose(conn))).toMatchObject({ requests: 1, reason: 'connection-close' });
    }
  });

  test('keepAlive: false answers Connection: close even to a keep-alive client', async ({ lab }) => {
    const { port, recorder } = await lab.start({ keepAlive: false });
    const agent = lab.agent({ keepAlive: true, maxSockets: 1 });

    const first = await get(port, { agent, id: 'k1' });
    const second = await get(port, { agent, id: 'k2' });

    expect([first.headers.connection, first.headers['x-lab-origin-conn'], second.headers['x-lab-origin-conn']]).toEqual([
      'close',
      '1',
      '2',
    ]);
    expect(second.headers['x-lab-origin-nth']).toBe('1');
    expect(await waitForEvent(recorder, connClose(1))).toMatchObject({ requests: 1, reason: 'connection-close' });
  });

  test('maxRequestsPerSocket 2 sends the third request on a new connection', async ({ lab }) => {
    const { port, recorder } = await lab.start({ maxRequestsPerSocket: 2 });
    const agent = lab.agent({ keepAlive: true, maxSockets: 1 });

    const replies = [];
    for (const id of ['m1', 'm2', 'm3']) replies.push(await get(port, { agent, id }));

    expect(replies.map((r) => [r.headers['x-lab-origin-conn'], r.headers['x-lab-origin-nth']])).toEqual([
      ['1', '1'],
      ['1', '2'],
      ['2', '1'],
    ]);
    // Node's own headers: the cap in the hint, then Connection: close on the last allowed response.
    expect(replies[0]?.headers['keep-alive']).toBe('timeout=5, max=2');
    expect(replies[1]?.headers.connection).toBe('close');
    expect(replies[0]?.localPort).toBe(replies[1]?.localPort);
    expect(replies[2]?.localPort).not.toBe(replies[1]?.localPort);
    expect(await waitForEvent(recorder, connClose(1))).toMatchObject({ requests: 2, reason: 'max-requests' });
  });

  test('reads the whole request body and counts its bytes', async ({ lab }) => {
    const { port, recorder } = await lab.start();
    const agent = lab.agent({ keepAlive: true, maxSockets: 1 });

    await get(port, { agent, id: 'sized', method: 'POST', body: Buffer.alloc(100_000, 'a') });
    await get(port, { agent, id: 'chunked', method: 'POST', body: Buffer.alloc(777, 'b'), chunked: true });
    const third = await get(port, { agent, id: 'empty', method: 'POST', body: Buffer.alloc(0) });

    expect(originEvents(recorder, 'request').map((e) => [e.id, e.method, e.bytes, e.nth])).toEqual([
      ['sized', 'POST', 100_000, 1],
      ['chunked', 'POST', 777, 2],
      ['empty', 'POST', 0, 3],
    ]);
    expect(third.headers['x-lab-origin-conn']).toBe('1');
  });

  test('answers responseBytes of body, after the delay', async ({ lab }) => {
    const { port, recorder } = await lab.start({ responseBytes: 4096, delay: 20 });

    const reply = await get(port, { agent: false, id: 'big' });

    expect(reply.status).toBe(200);
    expect(reply.body.length).toBe(4096);
    expect(reply.headers['content-length']).toBe('4096');
    expect(originEvents(recorder, 'request')).toMatchObject([{ id: 'big', nth: 1 }]);
  });

  test('without x-lab-request-id the request is recorded with id null', async ({ lab }) => {
    const { port, recorder } = await lab.start({ name: 'blue' });

    const reply = await get(port, { agent: false });

    expect(reply.headers['x-lab-origin']).toBe('blue');
    expect(originEvents(recorder, 'request')).toMatchObject([{ id: null, origin: 'blue', conn: 1, nth: 1 }]);
  });
});
