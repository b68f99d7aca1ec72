import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LabEvent } from '@keepalive-lab/core';
import { BUILTIN_SCENARIO_DIR, loadScenario, runToDocument, type ResultDocument } from '../src/index.js';
import { namespaceSupport, type NetworkedDocument } from '../src/netns.js';

/**
 * port-exhaustion, run for real in its namespace (200 ports). Every fact is
 * recomputed here from the per-request records and the events, never read
 * from the metrics the runner computed — and then the metrics are held to
 * them.
 */
const ns = await namespaceSupport(); // asked once

const RANGE: [number, number] = [40000, 40199];
const inRange = (p: number | null) => p !== null && p >= RANGE[0] && p <= RANGE[1];

type Ev = LabEvent & { variant?: string };
const of = (doc: ResultDocument, v: string) => ({
  requests: doc.requests.filter((r) => r.variant === v),
  events: (doc.events as Ev[]).filter((e) => e.variant === v),
  m: (k: string) => doc.metrics[`${v}:${k}`],
});

describe.skipIf(!ns.ok)(`port-exhaustion${ns.ok ? '' : ` (skipped: ${ns.why})`}`, () => {
  it('close: the proxy spends a port per request, then its connect() fails with EADDRNOTAVAIL; keepalive: nothing runs out', async () => {
    const loaded = await loadScenario(`${BUILTIN_SCENARIO_DIR}port-exhaustion.yaml`);
    if (!loaded.ok) throw loaded.error;
    const t0 = performance.now();
    const doc = (await runToDocument(loaded.value)) as NetworkedDocument;
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(doc.network).toEqual({ namespace: true, localPortRange: RANGE });

    // close, per request: a 502 from the proxy, whose reject event (same request id) says EADDRNOTAVAIL.
    const close = of(doc, 'close');
    const rejectWhy = new Map(
      close.events.flatMap((e) => (e.event === 'reject' && e.id !== null ? [[e.id, `${e.status} ${e.why}`] as const] : [])),
    );
    const failed = close.requests.filter((r) => r.status !== 200);
    expect(failed.length).toBeGreaterThanOrEqual(close.requests.length - (RANGE[1] - RANGE[0] + 1)); // ≥ 300 − 200
    expect(failed.map((r) => rejectWhy.get(r.id))).toEqual(failed.map(() => '502 EADDRNOTAVAIL'));
    // The client itself never failed to connect: the TIME_WAITs on its connections are the proxy's.
    expect(close.requests.filter((r) => r.error !== null)).toEqual([]);
    expect(close.m('proxy.own.upstreamErrors.EADDRNOTAVAIL')).toBe(failed.length);
    expect(close.m('errors.HTTP_502')).toBe(failed.length);
    expect(close.m('errors.EADDRNOTAVAIL')).toBeUndefined();

    // Every answered request had an upstream connection of its own, on a port never used before in the run, from the namespace's range.
    const upstreamPorts = close.events.flatMap((e) => (e.event === 'upstream-open' && e.localPort !== null ? [e.localPort] : []));
    const answered = close.requests.filter((r) => r.status === 200);
    expect(upstreamPorts.length).toBe(answered.length);
    expect(new Set(upstreamPorts).size).toBe(upstreamPorts.length);
    expect(upstreamPorts.every(inRange)).toBe(true);
    expect(answered.every((r) => inRange(r.clientPort) && r.upstreamPort !== null && upstreamPorts.includes(r.upstreamPort))).toBe(true);
    // The failures come after the range ran out: none before the last answered request started.
    const lastOk = Math.max(...answered.map((r) => r.start));
    expect(failed.filter((r) => r.start < lastOk - 50).length).toBeLessThan(10);

    // TIME_WAIT per side, recomputed: the proxy closed each upstream connection itself (pool-full: no idle slot) and each client one first.
    const closedByProxy = close.events.filter((e) => e.event === 'upstream-close' && e.reason === 'pool-full').length;
    expect(closedByProxy).toBe(upstreamPorts.length);
    expect(close.m('timeWait.proxyUpstream')).toBe(upstreamPorts.length);
    // A client port reused for the proxy's port replaces its TIME_WAIT there: one per distinct client port.
    expect(close.m('timeWait.proxyClient')).toBe(new Set(close.requests.map((r) => r.clientPort)).size);
    expect(close.m('timeWait.client')).toBe(0);
    expect(close.m('timeWait.origin')).toBe(0);
    expect(close.m('timeWait')).toBe(close.m('timeWait.origin')! + close.m('timeWait.proxyUpstream')!);

    // keepalive: the same 300 requests, all answered, on the client's few sockets, which it closed first at the end.
    const ka = of(doc, 'keepalive');
    expect(ka.requests.length).toBe(close.requests.length);
    expect(ka.requests.every((r) => r.status === 200 && r.error === null)).toBe(true);
    const kaClientPorts = new Set(ka.requests.map((r) => r.clientPort)).size;
    expect(kaClientPorts).toBeLessThanOrEqual(10);
    expect(ka.m('timeWait.client')).toBeLessThanOrEqual(kaClientPorts);
    expect(ka.m('timeWait.proxyUpstream')).toBe(0); // its pool was still open when TIME_WAIT was counted
    expect(ka.m('proxy.own.upstreamErrors.EADDRNOTAVAIL')).toBeUndefined();

    expect(doc.verdict).toBe('reproduced');
  });

  it('no port comes back within the run: the namespace holds TIME_WAIT as a network between two hosts would (no loopback reuse after 1 s)', async () => {
    // 2.5 s of close at 200/s: with Linux's default tcp_tw_reuse (2, loopback), ports would come back after ~1 s
    // and requests after the first failure would be answered again.
    const loaded = await loadScenario(`${BUILTIN_SCENARIO_DIR}port-exhaustion.yaml`, ['client.interval=5ms', 'client.requests=500']);
    if (!loaded.ok) throw loaded.error;
    const doc = await runToDocument(loaded.value);
    const close = of(doc, 'close');
    const answered = close.requests.filter((r) => r.status === 200);
    expect(answered.length).toBeLessThanOrEqual(RANGE[1] - RANGE[0] + 1 - 2); // the two servers listen on two of the ports
    const firstFailed = close.requests.find((r) => r.status !== 200);
    if (firstFailed === undefined) throw new Error('no request failed: the range did not run out');
    // Facts, not a race: nothing answered once the ports ran out, and the run went on past the 1 s a reuse would take
    // (requests start no earlier than their schedule, so a busy machine only lengthens this).
    expect(answered.filter((r) => r.start > firstFailed.start)).toEqual([]);
    expect(Math.max(...close.requests.map((r) => r.start)) - firstFailed.start).toBeGreaterThan(1000);
  });

  it("TIME_WAIT per side counts this run's sockets only, though a port is handed out again while an earlier run's wait out their 60 s", async () => {
    // Both variants' origins on one fixed port, in one namespace: `closing`'s 20 TIME_WAITs are still there when `pooled` counts.
    const dir = await mkdtemp(join(tmpdir(), 'lab-tw-'));
    try {
      const file = join(dir, 'tw-sides.yaml');
      await writeFile(
        file,
        [
          'name: tw-sides',
          'title: tw-sides',
          'network: { namespace: true, localPortRange: [41500, 41599] }',
          'origins: [{ name: origin, port: 41700 }]',
          'client: { requests: 20, concurrency: 1, keepAlive: false }',
          'variants:',
          '  - { name: closing }',
          '  - { name: pooled, set: { client.keepAlive: true, client.maxSockets: 1 } }',
        ].join('\n'),
      );
      const loaded = await loadScenario(file);
      if (!loaded.ok) throw loaded.error;
      const doc = await runToDocument(loaded.value);
      // closing, direct: the origin answered `Connection: close` and closed first, every time. A client port used
      // again for the origin takes over its TIME_WAIT there: one per distinct client port.
      const closing = of(doc, 'closing');
      expect(closing.requests.every((r) => r.status === 200)).toBe(true);
      expect(closing.m('timeWait.origin')).toBe(new Set(closing.requests.map((r) => r.clientPort)).size);
      expect(closing.m('timeWait.client')).toBe(0);
      expect(closing.m('timeWait.proxyUpstream')).toBeUndefined(); // direct: no proxy sides
      expect(closing.m('timeWait')).toBe(closing.m('timeWait.origin'));
      // pooled: one connection, closed by the client at the end; the origin's TIME_WAITs on the same port are closing's, not its own.
      const pooled = of(doc, 'pooled');
      expect(new Set(pooled.requests.map((r) => r.clientPort)).size).toBe(1);
      expect(pooled.m('timeWait.origin')).toBe(0);
      expect(pooled.m('timeWait.client')).toBeLessThanOrEqual(1); // 0 if the origin's FIN is still on its way
      expect(pooled.m('timeWait')).toBe(pooled.m('timeWait.client'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
