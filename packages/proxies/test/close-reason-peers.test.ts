import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { Recorder, type CloseReason, type LabEvent } from '@keepalive-lab/core';
import { createOrigin, type Origin } from '../../origin/src/index.js';
import { createL7Proxy } from '../src/l7/index.js';
import { createPipeL4 } from '../src/index.js';

/**
 * One definition of a close reason (core's closeReason), seen from every
 * component: the same peer behaviour, acted by a real socket on 127.0.0.1,
 * must be named the same by the origin (conn-close, the peer is its client),
 * the L7 pool (upstream-close, the peer is its origin) and the L4 base
 * (pipe-l4's upstream-close, the peer is its origin). No mocked network.
 */

type Behaviour = 'fin' | 'rst' | 'fin-rst';

const BIG = 32 << 20; // bytes: more than all the socket buffers on the way, so the writer is still writing
const OK = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nKeep-Alive: timeout=30\r\n\r\nok';

/**
 * What the peer does. fin: end(). rst: resetAndDestroy(). fin-rst: stop
 * reading (our side is still writing to it), end(), and as soon as the FIN
 * is out, reset: it closed, then aborted with data it never read.
 */
async function act(peer: Socket, how: Behaviour): Promise<void> {
  if (how === 'fin') peer.end();
  else if (how === 'rst') peer.resetAndDestroy();
  else {
    peer.pause();
    await sleep(50); // our side fills both buffers and keeps writing
    peer.end();
    await once(peer, 'finish');
    peer.resetAndDestroy();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function waitFor<E extends LabEvent>(recorder: Recorder, pred: (e: LabEvent) => e is E): Promise<E> {
  const found = recorder.events.find(pred);
  if (found !== undefined) return Promise.resolve(found);
  return new Promise((resolve) => {
    const off = recorder.on((e) => {
      if (pred(e)) {
        off();
        resolve(e);
      }
    });
  });
}

function client(port: number): Socket {
  const s = connect(port, '127.0.0.1');
  s.on('error', () => {});
  cleanups.push(() => s.destroy());
  return s;
}

/** A raw origin that hands each accepted socket to `onSocket`. */
async function rawOrigin(onSocket: (s: Socket) => void): Promise<number> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.once('close', () => sockets.delete(s));
    onSocket(s);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });
  return (server.address() as { port: number }).port;
}

const isConnClose = (e: LabEvent): e is Extract<LabEvent, { event: 'conn-close' }> => e.event === 'conn-close';
const isUpClose = (e: LabEvent): e is Extract<LabEvent, { event: 'upstream-close' }> => e.event === 'upstream-close';

async function startOrigin(
  options: Parameters<typeof createOrigin>[0] = {},
): Promise<{ origin: Origin; recorder: Recorder; port: number }> {
  const recorder = new Recorder();
  const origin = createOrigin({ ...options, recorder });
  const { port } = await origin.listen();
  cleanups.push(() => origin.close());
  return { origin, recorder, port };
}

/** The origin's reason when its client behaves so (fin-rst: while the origin writes a big answer). */
async function atOrigin(how: Behaviour): Promise<CloseReason> {
  const { recorder, port } = await startOrigin(how === 'fin-rst' ? { responseBytes: BIG } : {});
  const peer = client(port);
  await once(peer, 'connect');
  if (how === 'fin-rst') peer.write('GET / HTTP/1.1\r\nHost: o\r\n\r\n');
  await act(peer, how);
  return (await waitFor(recorder, isConnClose)).reason;
}

/** The L7 pool's upstream-close reason when its origin behaves so (fin-rst: while the pool writes a big body). */
async function atL7Pool(how: Behaviour, options: { poolIdleTimeout?: number } = {}): Promise<CloseReason> {
  const recorder = new Recorder();
  let resolvePeer!: (s: Socket) => void;
  const peerReady = new Promise<Socket>((r) => (resolvePeer = r));
  const port = await rawOrigin((s) => {
    if (how === 'fin-rst') s.once('data', () => resolvePeer(s));
    else s.once('data', () => s.write(OK, () => resolvePeer(s)));
  });
  const proxy = createL7Proxy({ targets: [{ host: '127.0.0.1', port }], recorder, keepAliveHint: false, closeGraceMs: 100, ...options });
  cleanups.push(() => proxy.close());
  const c = client((await proxy.listen()).port);
  await once(c, 'connect');
  if (how === 'fin-rst') {
    c.write(`POST / HTTP/1.1\r\nHost: p\r\nContent-Length: ${BIG}\r\n\r\n`);
    c.write(Buffer.alloc(BIG, 0x61));
  } else {
    c.write('GET / HTTP/1.1\r\nHost: p\r\n\r\n');
  }
  const peer = await peerReady;
  if (how !== 'fin-rst') await once(c, 'data'); // answered: the upstream socket is idle in the pool
  if (options.poolIdleTimeout === undefined) await act(peer, how);
  return (await waitFor(recorder, isUpClose)).reason;
}

/**
 * The L7 proxy's client-close reason when its client behaves so (fin-rst:
 * while the proxy writes it a big answer from the origin). node's http server
 * answers a FIN with end() and keeps writing, so a reset after it is seen too.
 */
async function atL7Client(how: Behaviour): Promise<CloseReason> {
  const recorder = new Recorder();
  const port = await rawOrigin((s) => {
    s.once('data', () => s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${BIG}\r\n\r\n`, () => s.write(Buffer.alloc(BIG, 0x62))));
  });
  const proxy = createL7Proxy({ targets: [{ host: '127.0.0.1', port }], recorder, keepAliveHint: false, closeGraceMs: 100 });
  cleanups.push(() => proxy.close());
  const peer = client((await proxy.listen()).port);
  await once(peer, 'connect');
  if (how === 'fin-rst') peer.write('GET / HTTP/1.1\r\nHost: p\r\n\r\n');
  await act(peer, how);
  const isClientClose = (e: LabEvent): e is Extract<LabEvent, { event: 'client-close' }> => e.event === 'client-close';
  return (await waitFor(recorder, isClientClose)).reason;
}

/** pipe-l4's upstream-close reason when its origin behaves so (fin-rst: while the proxy forwards a big upload). */
async function atL4(how: Behaviour): Promise<CloseReason> {
  const recorder = new Recorder();
  let peer!: Promise<Socket>;
  const port = await rawOrigin((s) => {
    peer = Promise.resolve(s);
  });
  const proxy = createPipeL4({ targets: [{ host: '127.0.0.1', port }], recorder });
  cleanups.push(() => proxy.close());
  const { port: proxyPort } = await proxy.listen();
  const c = client(proxyPort);
  c.on('end', () => c.end()); // the client follows whatever the proxy forwards
  c.resume();
  await once(c, 'connect');
  c.write(how === 'fin-rst' ? Buffer.alloc(BIG, 0x61) : 'x');
  while (peer === undefined) await sleep(5);
  const s = await peer;
  if (how !== 'fin-rst') await once(s, 'data');
  await act(s, how);
  return (await waitFor(recorder, isUpClose)).reason;
}

describe('the same peer behaviour gets the same reason everywhere', () => {
  const cases: Array<[Behaviour, CloseReason]> = [
    ['fin', 'peer-closed'],
    ['rst', 'peer-reset'],
    ['fin-rst', 'peer-reset'],
  ];
  test.each(cases)('%s → %s at the origin, the L7 proxy (client side and pool) and the L4 base', async (how, expected) => {
    const seen = { origin: await atOrigin(how), l7Client: await atL7Client(how), l4: await atL4(how) };
    expect(seen).toEqual({ origin: expected, l7Client: expected, l4: expected });
    // The pool: node's http client destroys an upstream socket on the peer's
    // FIN, so a reset right behind it is never read there (the FIN alone is
    // seen: peer-closed). FIN and RST each alone are named as everywhere else.
    if (how !== 'fin-rst') expect(await atL7Pool(how)).toBe(expected);
  });
});

describe('a reason this side decided wins over what the peer does next', () => {
  test('a local idle timeout: the origin says idle-timeout, the pool pool-idle-timeout, even when the peer then resets', async () => {
    const { recorder, port } = await startOrigin({ keepAliveTimeout: 100, idleCloseBuffer: 0 });
    const peer = client(port);
    peer.on('end', () => peer.resetAndDestroy()); // answers the origin's FIN with a reset
    peer.write('GET / HTTP/1.1\r\nHost: o\r\n\r\n');
    peer.resume();
    expect((await waitFor(recorder, isConnClose)).reason).toBe('idle-timeout');

    expect(await atL7Pool('rst', { poolIdleTimeout: 100 })).toBe('pool-idle-timeout');
  });

  test('a local close: server-close at the origin, the L7 pool and the L4 base', async () => {
    const { origin, recorder, port } = await startOrigin();
    const peer = client(port);
    await once(peer, 'connect');
    peer.on('end', () => peer.end());
    await sleep(20);
    await origin.close();
    expect((await waitFor(recorder, isConnClose)).reason).toBe('server-close');

    const l7rec = new Recorder();
    const up = await rawOrigin((s) => {
      s.on('end', () => s.end());
      s.once('data', () => s.write(OK));
    });
    const l7 = createL7Proxy({ targets: [{ host: '127.0.0.1', port: up }], recorder: l7rec, keepAliveHint: false, closeGraceMs: 100 });
    const l7port = (await l7.listen()).port;
    const c = client(l7port);
    c.on('end', () => c.end());
    c.write('GET / HTTP/1.1\r\nHost: p\r\n\r\n');
    await once(c, 'data');
    await l7.close();
    expect((await waitFor(l7rec, isUpClose)).reason).toBe('server-close');

    const l4rec = new Recorder();
    const up4 = await rawOrigin((s) => {
      s.on('end', () => s.end());
      s.once('data', () => s.write('y'));
    });
    const l4 = createPipeL4({ targets: [{ host: '127.0.0.1', port: up4 }], recorder: l4rec });
    const c4 = client((await l4.listen()).port);
    c4.on('end', () => c4.end());
    c4.write('x');
    await once(c4, 'data');
    await l4.close();
    expect((await waitFor(l4rec, isUpClose)).reason).toBe('server-close');
  });
});
