import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Recorder, type LabEvent } from '@keepalive-lab/core';
import { createOrigin, type OriginOptions } from '../../origin/src/index.js';
import { findPeer, proxyComponent, UPSTREAM_PROTOCOLS, type RealPeerDef } from '../src/index.js';
import { closeAll, peerKind, started, until, type Closers } from './helpers/real-proxy-fixture.js';

/**
 * The real peers that speak h2c to their origins (knob upstreamProtocol, the
 * name and values of l7's): what their generated configs say, and what they
 * do against the lab's own h2c origin, read from the origin's records, the
 * records the lab judges every proxy kind by. Where a peer is absent, its
 * runs are skipped with the install line; the config facts always run.
 */

const haproxy = peerKind('haproxy');
const caddy = peerKind('caddy');
const defOf = (kind: string): RealPeerDef => (proxyComponent(kind) as unknown as { def: RealPeerDef }).def;
const site = { dir: '/tmp/lab-x', host: '127.0.0.1', port: 8081, targets: [9001, 9002].map((port) => ({ host: '127.0.0.1', port })) };
const generate = (kind: string, knobs: Record<string, unknown>) => defOf(kind).generate(knobs, site);
const knobSchema = (kind: string) => z.object(proxyComponent(kind).knobs).strict();

const closers: Closers = [];
afterEach(() => closeAll(closers));

type Of<K extends LabEvent['event']> = Extract<LabEvent, { event: K }>;
const originEvents = <K extends LabEvent['event']>(r: Recorder, k: K): Of<K>[] =>
  r.events.filter((e): e is Of<K> => e.source === 'origin' && e.event === k);

/** The lab's h2c origin on 127.0.0.1:0, with its own recorder. */
async function h2cOrigin(options: OriginOptions = {}): Promise<{ port: number; recorder: Recorder }> {
  const recorder = new Recorder();
  const origin = createOrigin({ protocol: 'h2c', ...options, recorder });
  closers.push(() => origin.close());
  return { port: (await origin.listen()).port, recorder };
}

interface Reply {
  status: number;
  clientPort: number;
  /** The origin's remote port for this request: the proxy's upstream connection, as the origin saw it. */
  originPort: number;
}

/** `n` GETs at once from a keep-alive pool of `sockets` client connections, each with its request id. */
async function burst(port: number, n: number, sockets: number, tag: string): Promise<Reply[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  closers.push(async () => agent.destroy());
  const one = (i: number) =>
    new Promise<Reply>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/', agent, headers: { 'x-lab-request-id': `${tag}${i}` } }, (res) => {
        res.resume();
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            clientPort: req.socket?.localPort ?? 0,
            originPort: Number(res.headers['x-lab-origin-port']),
          }),
        );
      });
      req.on('error', reject);
    });
  return Promise.all(Array.from({ length: n }, (_, i) => one(i)));
}

/** `burst`, every one of the `n` answered 200. */
async function burstOk(port: number, n: number, sockets: number, tag: string): Promise<Reply[]> {
  const replies = await burst(port, n, sockets, tag);
  expect(replies.map((r) => r.status)).toEqual(Array<number>(n).fill(200));
  return replies;
}

/** A real peer with `knobs` in front of the lab's h2c origin with `origin`: the origin's recorder and the peer's port. */
async function peerOnH2cOrigin(
  peer: ReturnType<typeof peerKind>,
  knobs: Record<string, unknown>,
  origin: OriginOptions,
): Promise<{ o: { port: number; recorder: Recorder }; port: number }> {
  const o = await h2cOrigin(origin);
  return { o, port: await started(await peer.create(knobs, o.port), closers) };
}

/** The scenario's workload (below) through a real peer: every answer 200, from 5 client connections. */
async function scenarioBurst(peer: ReturnType<typeof peerKind>, knobs: Record<string, unknown>, tag: string) {
  const { o, port } = await peerOnH2cOrigin(peer, knobs, { delay: 200 });
  const replies = await burstOk(port, 20, 5, tag);
  expect(new Set(replies.map((r) => r.clientPort)).size).toBe(5);
  return { o, replies };
}

/** Origin connection (its conn number) → the nth of each request it carried, from the origin's records. */
function streamsPerConnection(recorder: Recorder): Map<number, number[]> {
  const by = new Map<number, number[]>();
  for (const e of originEvents(recorder, 'request')) by.set(e.conn, [...(by.get(e.conn) ?? []), e.nth]);
  return by;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('upstreamProtocol on the real peers: the generated configs', () => {
  it('haproxy and caddy take the knob with l7 values, http/1.1 and h2c only; haproxy-tcp (bytes, no HTTP) has none', () => {
    for (const kind of ['haproxy', 'caddy']) {
      const schema = knobSchema(kind);
      for (const p of UPSTREAM_PROTOCOLS) expect(schema.safeParse({ upstreamProtocol: p }).success).toBe(true);
      expect(schema.safeParse({ upstreamProtocol: 'h3' }).success).toBe(false);
      expect(proxyComponent(kind).knobs.upstreamProtocol?.description).toMatch(/^http\/1\.1 \(default\) or h2c/);
    }
    expect(knobSchema('haproxy-tcp').safeParse({ upstreamProtocol: 'h2c' }).success).toBe(false);
  });

  it('haproxy h2c: `proto h2` ends every server line, http-reuse as before; http/1.1 and unset: no proto', () => {
    const h2 = generate('haproxy', { upstreamProtocol: 'h2c', reuse: 'always' });
    expect(h2).toContain('\n  http-reuse always\n');
    expect(h2).toContain('\n  server origin0 127.0.0.1:9001 proto h2\n  server origin1 127.0.0.1:9002 proto h2\n');
    for (const knobs of [{}, { upstreamProtocol: 'http/1.1' }]) {
      const h1 = generate('haproxy', knobs);
      expect(h1).toContain('\n  server origin0 127.0.0.1:9001\n  server origin1 127.0.0.1:9002\n');
      expect(h1).not.toContain('proto');
    }
    // Only the generated config: a user's {{upstreams}} stays plain server lines (their file, their proto).
    expect(defOf('haproxy').upstreams(site.targets)).not.toContain('proto');
  });

  it('caddy h2c: `versions h2c` in the transport http block; http/1.1 and unset: no versions line', () => {
    const h2 = generate('caddy', { upstreamProtocol: 'h2c', lbRetries: 1 });
    expect(h2).toContain('\t\tlb_retries 1\n\t\ttransport http {\n\t\t\tversions h2c\n\t\t}\n');
    expect(generate('caddy', {})).not.toContain('transport');
    expect(generate('caddy', { upstreamProtocol: 'http/1.1', keepalive: 0 })).toContain('transport http {\n\t\t\tkeepalive off\n\t\t}');
  });

  it.each([
    ['keepalive', 0],
    ['keepalive', 8],
    ['keepaliveTimeout', 1000],
    ['maxConnsPerHost', 2],
  ])("caddy refuses %s=%s with h2c, by name (Caddy's h2c transport takes no pool setting); fine with http/1.1", (knob, value) => {
    let err: unknown = null;
    try {
      generate('caddy', { upstreamProtocol: 'h2c', [knob]: value });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'LAB_ERR_USAGE', details: { path: knob } });
    expect(String((err as Error).message)).toMatch(new RegExp(`^caddy proxy option ${knob}: expected unset with upstreamProtocol h2c \\(`));
    expect(() => generate('caddy', { upstreamProtocol: 'http/1.1', [knob]: value })).not.toThrow();
  });

  it("the idle chain: caddy's h2c connection has no idle timeout of its own; haproxy's purge is the same for h2", () => {
    expect(proxyComponent('caddy').idle?.({ upstreamProtocol: 'h2c' })).toEqual({
      clientSide: 300_000,
      upstream: Number.POSITIVE_INFINITY,
    });
    expect(proxyComponent('caddy').idle?.({})).toEqual({ clientSide: 300_000, upstream: 120_000 });
    expect(proxyComponent('haproxy').idle?.({ upstreamProtocol: 'h2c' })).toEqual(proxyComponent('haproxy').idle?.({}));
  });

  it.skipIf(!haproxy.installed)('haproxy -c accepts the generated h2c config', async () => {
    const binary = findPeer(proxyComponent('haproxy').peer ?? { program: 'haproxy', envVar: 'LAB_HAPROXY', debianPackage: 'haproxy' });
    const dir = await mkdtemp(join(tmpdir(), 'lab-h2c-check-'));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'haproxy.cfg');
    await writeFile(file, generate('haproxy', { upstreamProtocol: 'h2c' }));
    const { stdout } = await promisify(execFile)(binary ?? 'haproxy', ['-c', '-f', file]);
    expect(stdout).toContain('Configuration file is valid');
  });
});

// The scenario's workload: 20 GETs at once from 5 keep-alive client connections; 200 ms per answer at the origin,
// so every client connection has a request in flight at once and carries 4 in turn.
describe('upstreamProtocol h2c on the real peers against the lab h2c origin (20 requests, 5 client connections)', () => {
  it.skipIf(!caddy.installed)('caddy: one origin connection carries all 20 as streams, nth 1 to 20', async () => {
    const { o } = await scenarioBurst(caddy, { upstreamProtocol: 'h2c' }, 'c');
    expect(originEvents(o.recorder, 'conn-open')).toHaveLength(1);
    expect([...streamsPerConnection(o.recorder).values()].map((n) => [...n].sort((a, b) => a - b))).toEqual([range(1, 20)]);
  });

  it.skipIf(!caddy.installed)("caddy: after the origin's idle GOAWAY ends that connection, the next requests open a new one", async () => {
    const { o, port } = await peerOnH2cOrigin(caddy, { upstreamProtocol: 'h2c' }, { keepAliveTimeout: 300, idleCloseBuffer: 0 });
    await burstOk(port, 5, 5, 'a');
    expect(await until(() => originEvents(o.recorder, 'conn-close').length === 1, 3000)).toBe(true);
    await burstOk(port, 5, 5, 'b');
    expect(originEvents(o.recorder, 'conn-open')).toHaveLength(2);
  });

  // http-reuse safe (HAProxy's default): a client session's first request gets a server connection of its own,
  // and an h2 connection carrying a session's stream stays reserved to that session while streams run. So the
  // 5 client connections get 5 h2 connections, 4 streams each, one at a time: h2 framing, HTTP/1.1's count.
  it.skipIf(!haproxy.installed)('haproxy, reuse safe: one h2 connection per client connection, 4 streams each', async () => {
    const { o, replies } = await scenarioBurst(haproxy, { upstreamProtocol: 'h2c' }, 's');
    expect(originEvents(o.recorder, 'conn-open')).toHaveLength(5);
    expect([...streamsPerConnection(o.recorder).values()]).toEqual(Array(5).fill([1, 2, 3, 4]));
    // Each client connection's 4 requests rode one origin connection, a different one per client connection.
    const originOf = new Map<number, Set<number>>();
    for (const r of replies) originOf.set(r.clientPort, (originOf.get(r.clientPort) ?? new Set()).add(r.originPort));
    expect([...originOf.values()].map((s) => s.size)).toEqual([1, 1, 1, 1, 1]);
    expect(new Set(replies.map((r) => r.originPort)).size).toBe(5);
  });

  // http-reuse always: streams of every client share an h2 connection, but HAProxy's connection lists are per
  // thread (nbthread defaults to the CPUs it may run on): at most one h2 connection per thread that got clients.
  it.skipIf(!haproxy.installed)('haproxy, reuse always: the 20 streams share at most one h2 connection per HAProxy thread', async () => {
    const { o } = await scenarioBurst(haproxy, { upstreamProtocol: 'h2c', reuse: 'always' }, 'w');
    const conns = originEvents(o.recorder, 'conn-open').length;
    expect(conns).toBeGreaterThanOrEqual(1);
    expect(conns).toBeLessThanOrEqual(Math.min(5, availableParallelism()));
    const streams = [...streamsPerConnection(o.recorder).values()];
    expect(streams.flat()).toHaveLength(20);
    // Fewer connections than client connections (2 on a 2-CPU machine): some carried several clients' streams.
    if (conns < 5) expect(Math.max(...streams.map((n) => n.length))).toBeGreaterThan(4);
  });

  it.skipIf(!haproxy.installed)(
    "haproxy: after the origin's idle GOAWAY ends its connections, the next requests open new ones",
    async () => {
      const { o, port } = await peerOnH2cOrigin(haproxy, { upstreamProtocol: 'h2c' }, { keepAliveTimeout: 300, idleCloseBuffer: 0 });
      await burstOk(port, 5, 5, 'a');
      const first = originEvents(o.recorder, 'conn-open').length;
      expect(await until(() => originEvents(o.recorder, 'conn-close').length === first, 3000)).toBe(true);
      await burstOk(port, 5, 5, 'b');
      expect(originEvents(o.recorder, 'conn-open').length).toBeGreaterThan(first);
    },
  );
});
