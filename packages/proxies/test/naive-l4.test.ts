import net from 'node:net';
import { describe, expect } from 'vitest';
import { eventsOf, get, test } from './l4-fixtures.js';

describe('naive-l4 (the blog forwarder)', () => {
  test('answers Connection: close requests, opening a new upstream connection for each', async ({ lab }) => {
    const origin = await lab.origin();
    const { port } = await lab.naive([origin.endpoint]);

    const replies = [];
    for (let i = 0; i < 5; i++) replies.push(await get(port, false));

    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    const opens = eventsOf(lab.recorder, 'upstream-open');
    expect(opens).toHaveLength(5);
    // Each request reached the origin from the port of its own upstream connection.
    expect(replies.map((r) => r.originPort)).toEqual(opens.map((o) => o.localPort));
    expect(new Set(origin.connPorts).size).toBe(5);
    expect(eventsOf(lab.recorder, 'client-open')).toHaveLength(5);
  });

  test('holds a keep-alive reply until the origin idle-closes the upstream, then uses a new upstream for the next request', async ({
    lab,
  }) => {
    // Node closes an idle keep-alive socket at keepAliveTimeout + 1 s: the stall lasts ~1.2 s per request.
    const origin = await lab.origin({ keepAliveTimeout: 200 });
    const { proxy, port } = await lab.naive([origin.endpoint]);
    const agent = lab.agent({ keepAlive: true, maxSockets: 1 });

    // Both at once, as the blog fired them: the second waits in the agent's
    // queue and takes over the socket as soon as it is free. (Sent one after
    // the other, the second would get a new socket: the origin advertises
    // `Keep-Alive: timeout=0`, and Node's agent will not keep such a socket idle.)
    const [first, second] = await Promise.all([get(port, agent, lab.marks, 'response-1'), get(port, agent, lab.marks, 'response-2')]);

    expect([first.status, second.status]).toEqual([200, 200]);
    // The client kept its one socket...
    expect(second.localPort).toBe(first.localPort);
    expect(eventsOf(lab.recorder, 'client-open')).toHaveLength(1);
    // ...but each request went out on a fresh upstream connection.
    const opens = eventsOf(lab.recorder, 'upstream-open');
    expect(opens.map((o) => o.clientConn)).toEqual([1, 1]);
    expect(opens[0]?.localPort).not.toBe(opens[1]?.localPort);
    expect([first.originPort, second.originPort]).toEqual(opens.map((o) => o.localPort));

    // Each reply was released by the origin closing its upstream socket, never before.
    const [a, b] = opens.map((o) => o.localPort);
    expect(lab.marks).toEqual([`origin-socket-close:${a}`, 'response-1', `origin-socket-close:${b}`, 'response-2']);
    // The proxy saw the origin's FIN on both (a close is recorded after the
    // FIN that released the reply, so only its reason is asserted, not its place).
    await expect
      .poll(() => eventsOf(lab.recorder, 'upstream-close').map((e) => [e.upstreamConn, e.reason]))
      .toEqual([
        [1, 'peer-closed'],
        [2, 'peer-closed'],
      ]);
    expect(proxy.openSockets).toBe(1); // only the client's kept-alive socket
  });

  test('destroys the upstreams of a client that leaves before its reply', async ({ lab }) => {
    const origin = await lab.origin({ keepAliveTimeout: 60_000 });
    const { proxy, port } = await lab.naive([origin.endpoint]);
    const client = net.connect(port, '127.0.0.1');
    client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    // The origin answered (its keep-alive socket stays open); the reply is stuck in the proxy.
    await expect.poll(() => origin.requestPorts.length).toBe(1);
    client.destroy();

    await expect.poll(() => proxy.openSockets).toBe(0);
    expect(eventsOf(lab.recorder, 'upstream-close').map((e) => e.reason)).toEqual(['client-closed']);
    expect(eventsOf(lab.recorder, 'client-close').map((e) => e.reason)).toEqual(['peer-closed']);
  });

  test('records a refused upstream and leaves the client without a reply', async ({ lab }) => {
    const { proxy, port } = await lab.naive([{ host: '127.0.0.1', port: await lab.closedPort() }]);
    const client = net.connect(port, '127.0.0.1');
    client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');

    await expect.poll(() => eventsOf(lab.recorder, 'upstream-close').map((e) => [e.reason, e.localPort])).toEqual([['error', null]]);
    expect(proxy.errors.get('ECONNREFUSED')).toBe(1);
    expect(eventsOf(lab.recorder, 'upstream-open')).toHaveLength(0);
    // No reply and no close: the blog's forwarder has nothing to tell the client.
    expect(proxy.openSockets).toBe(1);
    client.destroy();
    await expect.poll(() => proxy.openSockets).toBe(0);
  });

  test('close() with live client and upstream connections resolves and stops listening', async ({ lab }) => {
    const origin = await lab.origin({ keepAliveTimeout: 60_000 });
    const { proxy, port } = await lab.naive([origin.endpoint]);
    const client = net.connect(port, '127.0.0.1');
    client.on('error', (err) => lab.marks.push(`client-error:${String(err)}`));
    client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await expect.poll(() => origin.requestPorts.length).toBe(1);
    expect(proxy.openSockets).toBe(2);

    await proxy.close();

    expect(proxy.openSockets).toBe(0);
    await expect(get(port, false)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(eventsOf(lab.recorder, 'upstream-close').map((e) => e.reason)).toEqual(['server-close']);
    expect(eventsOf(lab.recorder, 'client-close').map((e) => e.reason)).toEqual(['server-close']);
    client.destroy();
  });
});
