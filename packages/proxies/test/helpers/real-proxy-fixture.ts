import { existsSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { expect } from 'vitest';
import { z } from 'zod';
import { isLabError } from '@keepalive-lab/core';
import { proxyComponent, type ChildProxy, type LabProxy, type ProxyComponent } from '../../src/index.js';
import { origin } from './peer-origin.js';

/** What a test opened, closed in reverse by the test file's afterEach. */
export type Closers = (() => Promise<void>)[];

export async function closeAll(closers: Closers): Promise<void> {
  for (const close of closers.splice(0).reverse()) await close();
}

/** A keep-alive origin that answers each request with the remote port of its connection. */
export async function portEchoOrigin(closers: Closers): Promise<{ port: number; connPorts: number[] }> {
  return origin(closers);
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

/** Polls `pred` every 20 ms; false if it still fails after `ms`. */
export async function until(pred: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
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

/** Listens, with close() left to the closers; the port it listens on. */
export async function started(proxy: Pick<LabProxy, 'listen' | 'close'>, closers: Closers): Promise<number> {
  closers.push(() => proxy.close());
  return (await proxy.listen()).port;
}

const loopback = (ports: number[]) => ports.map((port) => ({ host: '127.0.0.1', port }));

/** `component`'s proxy in front of origins on `ports`, started; for the kinds that run in this process. */
export async function startProxy(
  component: ProxyComponent,
  closers: Closers,
  knobs: Record<string, unknown>,
  ports: number[],
): Promise<{ proxy: LabProxy; port: number }> {
  const proxy = await component.create(knobs, { targets: loopback(ports) });
  return { proxy, port: await started(proxy, closers) };
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
  // Named by its kind (apache), not its executable (apache2).
  expect(String(err)).toContain(`proxy kind ${proxy.name} needs `);
  await proxy.close();
  expect(proxy.pid).toBeNull();
}

/** A real peer as its tests use it: whether it is installed here, its knobs' schema, and a builder for a child proxy. */
export interface PeerUnderTest {
  /** The component's own check, so tests skip exactly when `lab run` would. */
  installed: boolean;
  knobSchema: z.ZodObject<z.ZodRawShape, 'strict'>;
  /** A child proxy in front of origins on `ports`; `binary` stands in for the peer's program. */
  create(knobs: Record<string, unknown>, ports: number[], binary?: string): Promise<ChildProxy>;
}

/** `component` under test; `parseKnobs`: knobs go through its schema first, as a scenario's do (durations → ms). */
export function peerComponent(component: ProxyComponent, opts: { parseKnobs?: boolean } = {}): PeerUnderTest {
  const missing = component.missing();
  if (missing !== null) console.warn(`${component.kind} tests skipped: ${missing}`);
  const knobSchema = z.object(component.knobs).strict();
  return {
    installed: missing === null,
    knobSchema,
    create: async (knobs, ports, binary) =>
      (await component.create(opts.parseKnobs === true ? knobSchema.parse(knobs) : knobs, {
        targets: loopback(ports),
        ...(binary === undefined ? {} : { binary }),
      })) as ChildProxy,
  };
}

/** A real peer kind from the registry, in front of one origin on `port`. */
export function peerKind(kind: string): {
  installed: boolean;
  create(knobs: Record<string, unknown>, port: number, binary?: string): Promise<ChildProxy>;
} {
  const peer = peerComponent(proxyComponent(kind));
  return { installed: peer.installed, create: (knobs, port, binary) => peer.create(knobs, [port], binary) };
}
