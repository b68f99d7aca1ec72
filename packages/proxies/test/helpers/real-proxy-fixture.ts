import { once } from 'node:events';
import { existsSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { expect } from 'vitest';
import { isLabError } from '@keepalive-lab/core';
import { proxyComponent, type ChildProxy } from '../../src/index.js';

/** What a test opened, closed in reverse by the test file's afterEach. */
export type Closers = (() => Promise<void>)[];

export async function closeAll(closers: Closers): Promise<void> {
  for (const close of closers.splice(0).reverse()) await close();
}

/** A keep-alive origin that answers each request with the remote port of its connection. */
export async function portEchoOrigin(closers: Closers): Promise<{ port: number; connPorts: number[] }> {
  const connPorts: number[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    res.end(String(req.socket.remotePort));
  });
  server.on('connection', (s: net.Socket) => connPorts.push(s.remotePort ?? 0));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });
  const a = server.address();
  if (a === null || typeof a === 'string') throw new Error('not a TCP address');
  return { port: a.port, connPorts };
}

export async function get(port: number, agent: http.Agent): Promise<{ status: number; body: string }> {
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/', agent }, resolve).once('error', reject);
  });
  let body = '';
  res.setEncoding('utf8');
  for await (const chunk of res) body += String(chunk);
  return { status: res.statusCode ?? 0, body };
}

/** True if the pid names a live process (signal 0 only checks). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    expect((err as NodeJS.ErrnoException).code).toBe('ESRCH');
    return false;
  }
}

/** The error a connect to port gets, or 'connected'. */
export function connectResult(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve('connected');
    });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

export async function started(proxy: ChildProxy, closers: Closers): Promise<number> {
  closers.push(() => proxy.close());
  return (await proxy.listen()).port;
}

/** Starts `proxy`, then proves close() stops the child, frees the port and removes the temp dir, and that twice is fine. */
export async function expectCleanClose(proxy: ChildProxy, closers: Closers): Promise<void> {
  const port = await started(proxy, closers);
  const pid = proxy.pid;
  const dir = proxy.dir;
  if (pid === null || dir === null) throw new Error(`${proxy.name} started without a pid or dir`);
  expect(alive(pid)).toBe(true);
  expect(existsSync(dir)).toBe(true);
  expect(await connectResult(port)).toBe('connected');
  await Promise.all([proxy.close(), proxy.close()]);
  expect(alive(pid)).toBe(false);
  expect(existsSync(dir)).toBe(false);
  expect(await connectResult(port)).toBe('ECONNREFUSED');
  await proxy.close();
}

/** listen() on a proxy given a binary that is not there: LAB_ERR_PEER_MISSING (exit 1) naming `installHint`, and no child. */
export async function expectPeerMissing(proxy: ChildProxy, installHint: string): Promise<void> {
  const err: unknown = await proxy.listen().catch((e: unknown) => e);
  expect(isLabError(err) && err.code).toBe('LAB_ERR_PEER_MISSING');
  expect(isLabError(err) && err.exitCode).toBe(1);
  expect(String(err)).toContain(installHint);
  await proxy.close();
  expect(proxy.pid).toBeNull();
}

/**
 * A real peer kind as its tests use it: whether it is installed here (the
 * registry's own check, so tests skip exactly when `lab run` would), and a
 * builder for a child proxy in front of `targets`.
 */
export function peerKind(kind: string): { installed: boolean; create(knobs: Record<string, unknown>, port: number, binary?: string): Promise<ChildProxy> } {
  const c = proxyComponent(kind);
  const missing = c.missing();
  if (missing !== null) console.warn(`${kind} tests skipped: ${missing}`);
  return {
    installed: missing === null,
    create: async (knobs, port, binary) =>
      (await c.create(knobs, { targets: [{ host: '127.0.0.1', port }], ...(binary === undefined ? {} : { binary }) })) as ChildProxy,
  };
}
