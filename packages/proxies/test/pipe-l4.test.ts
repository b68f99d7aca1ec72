import { once } from 'node:events';
import net from 'node:net';
import { describe, expect } from 'vitest';
import { eventsOf, get, test } from './l4-fixtures.js';

/** Reads a raw socket to EOF. */
const readAll = async (s: net.Socket): Promise<string> => {
  let text = '';
  s.setEncoding('utf8');
  s.on('data', (d: string) => (text += d));
  await once(s, 'end');
  return text;
};

/** `bytes` of a pattern that no two positions 64 KB apart share: a reused read buffer shows as a mismatch. */
const pattern = (bytes: number): Buffer => {
  const b = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i += 4) b.writeUInt32LE(i / 4, i);
  return b;
};

/** Reads a raw socket to EOF as bytes, after holding it paused for `pauseMs` (the proxy's writes to it back up). */
const readBytesSlowly = async (s: net.Socket, pauseMs: number): Promise<Buffer> => {
  s.pause();
  await new Promise((resolve) => setTimeout(resolve, pauseMs));
  const parts: Buffer[] = [];
  s.on('data', (d: Buffer) => parts.push(d));
  s.resume();
  await once(s, 'end');
  return Buffer.concat(parts);
};

describe('pipe-l4 (a correct L4 forwarder)', () => {
  test('keeps one upstream connection per client connection: 5 keep-alive requests, 1 upstream', async ({ lab }) => {
    const origin = await lab.origin();
    const { port } = await lab.pipe([origin.endpoint]);
    const agent = lab.agent({ keepAlive: true, maxSockets: 1 });

    const replies = [];
    for (let i = 0; i < 5; i++) replies.push(await get(port, agent));

    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(replies.map((r) => r.reused)).toEqual([false, true, true, true, true]);
    expect(new Set(replies.map((r) => r.localPort)).size).toBe(1);
    const opens = eventsOf(lab.recorder, 'upstream-open');
    expect(opens).toHaveLength(1);
    expect(origin.connPorts).toEqual([opens[0]?.localPort]);
    expect(new Set(replies.map((r) => r.originPort))).toEqual(new Set([opens[0]?.localPort]));
    expect(eventsOf(lab.recorder, 'client-open').map((e) => e.clientPort)).toEqual([replies[0]?.localPort]);
  });

  test('opens one upstream connection for each of 2 client connections', async ({ lab }) => {
    const origin = await lab.origin();
    const { port } = await lab.pipe([origin.endpoint]);
    const agent = lab.agent({ keepAlive: true, maxSockets: 2 });

    const replies = await Promise.all([get(port, agent), get(port, agent)]);

    const clients = eventsOf(lab.recorder, 'client-open');
    const opens = eventsOf(lab.recorder, 'upstream-open');
    expect(new Set(replies.map((r) => r.localPort)).size).toBe(2);
    expect(clients).toHaveLength(2);
    expect(opens.map((o) => o.clientConn).sort()).toEqual([1, 2]);
    // Each client port is paired with the upstream port the origin saw for it.
    const upstreamPortOf = new Map(opens.map((o) => [o.clientConn, o.localPort]));
    const clientConnOf = new Map(clients.map((c) => [c.clientPort, c.clientConn]));
    for (const r of replies) expect(r.originPort).toBe(upstreamPortOf.get(clientConnOf.get(r.localPort) ?? -1));
  });

  test('balances round-robin per connection over 2 targets: A, B, A', async ({ lab }) => {
    const a = await lab.origin({ name: 'A' });
    const b = await lab.origin({ name: 'B' });
    const { port } = await lab.pipe([a.endpoint, b.endpoint]);

    const served = [];
    for (let i = 0; i < 3; i++) served.push((await get(port, false)).origin);

    expect(served).toEqual(['A', 'B', 'A']);
    const targets = eventsOf(lab.recorder, 'upstream-open').map((o) => [o.clientConn, o.target]);
    expect(targets).toEqual([
      [1, `127.0.0.1:${a.port}`],
      [2, `127.0.0.1:${b.port}`],
      [3, `127.0.0.1:${a.port}`],
    ]);
  });

  test('honours half-close: a client that ends its side still gets the whole answer', async ({ lab }) => {
    // The upstream answers only after reading its request to EOF.
    const upstream = await lab.rawServer((s) => {
      let got = '';
      s.setEncoding('utf8');
      s.on('data', (d: string) => (got += d));
      s.on('end', () => s.end(`read ${got.length} bytes: ${got}`));
    }, true);
    const { proxy, port } = await lab.pipe([upstream]);

    const client = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    client.end('hello, then FIN');
    expect(await readAll(client)).toBe('read 15 bytes: hello, then FIN');

    await expect.poll(() => proxy.openSockets).toBe(0);
    expect(eventsOf(lab.recorder, 'client-close').map((e) => e.reason)).toEqual(['peer-closed']);
    expect(eventsOf(lab.recorder, 'upstream-close').map((e) => e.reason)).toEqual(['client-closed']);
  });

  test('relays 8 MB each way intact on two connections at once, one stalled while the other flows: no byte reused or lost', async ({
    lab,
  }) => {
    const size = 8 * 1024 * 1024;
    const body = pattern(size);
    // The upstream reads each upload to EOF (after a stall of its own), then sends the same bytes back and ends.
    const upstream = await lab.rawServer((s) => {
      readBytesSlowly(s, 100).then(
        (got) => s.end(got),
        (err: unknown) => s.destroy(err as Error),
      );
    }, true);
    const { proxy, port } = await lab.pipe([upstream]);

    const roundTrip = async (stallMs: number): Promise<Buffer> => {
      const client = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
      client.end(body);
      return readBytesSlowly(client, stallMs);
    };
    // The stalled one's reply backs up in the proxy (a write left half done) while the other's streams through it.
    const [stalled, flowing] = await Promise.all([roundTrip(800), roundTrip(0)]);

    expect([stalled.length, flowing.length]).toEqual([size, size]);
    expect([stalled.equals(body), flowing.equals(body)]).toEqual([true, true]);
    await expect.poll(() => proxy.openSockets).toBe(0);
  });

  test('backpressure: while the client reads nothing, the proxy stops reading the upstream, whose writes back up', async ({ lab }) => {
    // More than loopback's socket buffers hold along the way (a few MB each), so the proxy's memory would take the rest.
    const size = 48 * 1024 * 1024;
    let backedUp = -1;
    // Built before anyone connects: 48 MB takes long enough to eat into the client's stall (and more on a loaded machine).
    const reply = pattern(size);
    const upstream = await lab.rawServer((s) => {
      s.end(reply);
      // Sampled while the client is still stalled: what the upstream could not hand over yet.
      setTimeout(() => (backedUp = s.writableLength), 400);
    }, true);
    const { port } = await lab.pipe([upstream]);

    const client = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    client.end('go');
    const got = await readBytesSlowly(client, 600);

    expect(got.length).toBe(size);
    expect(backedUp).toBeGreaterThan(size / 4);
  });

  test('destroys the client socket when the upstream refuses', async ({ lab }) => {
    const { proxy, port } = await lab.pipe([{ host: '127.0.0.1', port: await lab.closedPort() }]);

    const client = net.connect(port, '127.0.0.1');
    client.on('error', (err) => lab.marks.push(`client-error:${String(err)}`));
    client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const received = readAll(client);
    await once(client, 'close');

    expect(await received).toBe('');
    expect(proxy.openSockets).toBe(0);
    expect(proxy.errors.get('ECONNREFUSED')).toBe(1);
    expect(eventsOf(lab.recorder, 'upstream-open')).toHaveLength(0);
    expect(eventsOf(lab.recorder, 'upstream-close').map((e) => [e.reason, e.localPort])).toEqual([['error', null]]);
    await expect.poll(() => eventsOf(lab.recorder, 'client-close').map((e) => e.reason)).toEqual(['upstream-closed']);
  });

  test.for(['destroy', 'resetAndDestroy'] as const)('closes the upstream when the client goes away mid-response (%s)', async (how, {
    lab,
  }) => {
    // The origin sends a first chunk and never finishes the response.
    const origin = await lab.origin({
      handler: (_req, res) => {
        res.writeHead(200);
        res.write('first chunk');
      },
    });
    const { proxy, port } = await lab.pipe([origin.endpoint]);
    const client = net.connect(port, '127.0.0.1');
    client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await once(client, 'data');
    expect(proxy.openSockets).toBe(2);

    client[how]();

    await expect.poll(() => proxy.openSockets).toBe(0);
    expect(eventsOf(lab.recorder, 'upstream-close').map((e) => e.reason)).toEqual(['client-closed']);
    expect(eventsOf(lab.recorder, 'client-close').map((e) => e.reason)).toEqual([how === 'destroy' ? 'peer-closed' : 'peer-reset']);
    await expect.poll(() => lab.marks).toEqual([`origin-socket-close:${origin.connPorts[0]}`]);
  });

  test('close() with live client and upstream connections resolves and stops listening', async ({ lab }) => {
    const origin = await lab.origin({ keepAliveTimeout: 60_000 });
    const { proxy, port } = await lab.pipe([origin.endpoint]);
    const agent = lab.agent({ keepAlive: true, maxSockets: 1 });
    const raw = net.connect(port, '127.0.0.1');
    raw.on('error', (err) => lab.marks.push(`raw-error:${String(err)}`));
    expect((await get(port, agent)).status).toBe(200);
    await expect.poll(() => proxy.openSockets).toBe(4); // two client sockets, two upstreams

    await proxy.close();

    expect(proxy.openSockets).toBe(0);
    await expect(get(port, false)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(eventsOf(lab.recorder, 'client-close').map((e) => e.reason)).toEqual(['server-close', 'server-close']);
    raw.destroy();
  });
});
