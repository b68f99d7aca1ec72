import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { createL7Proxy } from '../src/l7/index.js';
import { createL7FastProxy } from '../src/l7-fast/index.js';
import { ENGINES, type L7Engine } from './helpers/l7-fixture.js';

/**
 * Flow control through the proxy, both directions: a peer that stops reading
 * must stop the other peer's writes, not let the proxy buffer the difference.
 * The kernel buffers of both hops hold a few MB (about 8 here); TOTAL is far
 * beyond that, so a writer that gets all of it out while its reader reads
 * nothing was never held back.
 */
const TOTAL = 64 * 1024 * 1024;
const CHUNK = Buffer.alloc(1024 * 1024, 'x');

interface Pump {
  written: number;
  done: boolean;
}

/** Writes `head` then TOTAL bytes as fast as the socket takes them. */
function pump(socket: Socket, head: string): Pump {
  const p: Pump = { written: 0, done: false };
  socket.write(head, 'latin1');
  const more = (): void => {
    while (p.written < TOTAL) {
      p.written += CHUNK.length;
      if (!socket.write(CHUNK)) {
        socket.once('drain', more);
        return;
      }
    }
    p.done = true;
  };
  more();
  return p;
}

/** Resolves once the writer has made no progress for 300 ms (held back), or has written everything. */
async function settled(p: Pump): Promise<void> {
  let last = -1;
  let still = 0;
  while (!p.done && still < 3) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    still = p.written === last ? still + 1 : 0;
    last = p.written;
  }
}

/** Counts what a socket receives from now on; resolves when `n` bytes have come. */
function drainAll(socket: Socket, n: number): Promise<number> {
  let got = 0;
  return new Promise((resolve, reject) => {
    socket.on('data', (d: Buffer) => {
      got += d.length;
      if (got >= n) resolve(got);
    });
    socket.once('close', () => reject(new Error(`closed after ${got} of ${n} bytes`)));
    socket.resume();
  });
}

const opened: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

async function origin(onSocket: (s: Socket) => void): Promise<number> {
  const sockets: Socket[] = [];
  const server: Server = createServer((s) => {
    sockets.push(s);
    s.on('error', () => undefined);
    onSocket(s);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  opened.push({
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  });
  return (server.address() as { port: number }).port;
}

async function proxyTo(kind: (typeof ENGINES)[number], port: number): Promise<number> {
  const create = kind === 'l7' ? createL7Proxy : createL7FastProxy;
  const proxy: L7Engine = create({ targets: [{ host: '127.0.0.1', port }], upstreamTimeout: 30_000 });
  opened.push(proxy);
  return (await proxy.listen()).port;
}

async function client(port: number): Promise<Socket> {
  const c = connect(port, '127.0.0.1');
  c.on('error', () => undefined);
  opened.push({ close: () => c.destroy() });
  await once(c, 'connect');
  return c;
}

describe.each(ENGINES)('%s flow control', (kind) => {
  test('a client that reads nothing holds the origin back; then gets the whole response', async () => {
    let writer: Pump | null = null;
    const port = await origin((s) => {
      s.once('data', () => {
        writer = pump(s, `HTTP/1.1 200 OK\r\nContent-Length: ${TOTAL}\r\n\r\n`);
      });
    });
    const c = await client(await proxyTo(kind, port));
    c.write('GET /big HTTP/1.1\r\nHost: lab\r\n\r\n');
    while (writer === null) await new Promise((resolve) => setTimeout(resolve, 10));
    const w = writer as Pump;
    await settled(w);
    expect(w.done).toBe(false);
    expect(w.written).toBeLessThan(TOTAL / 2);
    const got = await drainAll(c, TOTAL);
    // Head, then exactly TOTAL body bytes.
    expect(got).toBeGreaterThan(TOTAL);
    expect(got).toBeLessThan(TOTAL + 1024);
  });

  test('an origin that reads nothing holds the client upload back; then gets the whole body', async () => {
    let upstream: Socket | null = null;
    const port = await origin((s) => {
      upstream = s;
      s.pause();
    });
    const c = await client(await proxyTo(kind, port));
    const w = pump(c, `POST /upload HTTP/1.1\r\nHost: lab\r\nContent-Length: ${TOTAL}\r\n\r\n`);
    await settled(w);
    expect(w.done).toBe(false);
    expect(w.written).toBeLessThan(TOTAL / 2);
    expect(upstream).not.toBeNull();
    const got = await drainAll(upstream as unknown as Socket, TOTAL);
    expect(got).toBeGreaterThan(TOTAL);
    expect(got).toBeLessThan(TOTAL + 1024);
  });
});
