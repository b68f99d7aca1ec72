import { describe, expect, it } from 'vitest';
import type { RequestRecord } from '@keepalive-lab/core';
import { proxyComponent } from '@keepalive-lab/proxies';
import { BUILTIN_SCENARIO_DIR, loadScenario, runToDocument, type ResultDocument } from '../src/index.js';

/**
 * h2c-upstream-l7 run through the real peers that speak h2c upstream
 * (`--set proxy.kind=caddy|haproxy`: the scenario's `upstreamProtocol: h2c`
 * is their knob too), judged from the per-request records as the l7 run is
 * in shipped-scenarios.test.ts. The scenario keeps l7 as its proxy: a
 * variant of another kind would fail `lab run h2c-upstream-l7` wherever that
 * peer is not installed. A peer that is missing skips its test, visibly.
 */
const missing = (kind: string): string | null => {
  const why = proxyComponent(kind).missing();
  if (why !== null) console.warn(`h2c-upstream-real-peers.test.ts: ${kind} skipped: ${why}`);
  return why;
};
const noCaddy = missing('caddy') !== null;
const noHaproxy = missing('haproxy') !== null;

async function run(sets: string[]): Promise<ResultDocument> {
  const loaded = await loadScenario(`${BUILTIN_SCENARIO_DIR}h2c-upstream-l7.yaml`, sets);
  if (!loaded.ok) throw loaded.error;
  return runToDocument(loaded.value);
}

const of = (doc: ResultDocument, variant: string) => doc.requests.filter((r) => r.variant === variant);
const distinct = (rs: RequestRecord[], k: 'clientPort' | 'originPort') => new Set(rs.map((r) => r[k])).size;
const sortedNth = (rs: RequestRecord[]) => rs.map((r) => r.nthOnConn ?? 0).sort((a, b) => a - b);
/** Client port → the origin ports its requests reached. */
function originPortsPerClient(rs: RequestRecord[]): number[] {
  const by = new Map<number | null, Set<number | null>>();
  for (const r of rs) by.set(r.clientPort, (by.get(r.clientPort) ?? new Set()).add(r.originPort));
  return [...by.values()].map((s) => s.size);
}
const failed = (doc: ResultDocument) =>
  doc.expectations.filter((e) => !e.pass && e.skipped === undefined).map((e) => `${e.variant} ${e.metric}`);

describe('h2c-upstream-l7 through the real peers', () => {
  it.skipIf(noCaddy)('caddy: the same facts as l7 (one origin connection, streams nth 1 to 20; HTTP/1.1 pools 5)', async () => {
    const doc = await run(['proxy.kind=caddy']);
    const h2c = of(doc, 'h2c');
    expect(doc.requests.map((r) => r.status)).toEqual(Array<number>(40).fill(200));
    for (const v of ['h2c', 'http1']) expect(distinct(of(doc, v), 'clientPort')).toBe(5);
    expect(distinct(h2c, 'originPort')).toBe(1);
    expect(sortedNth(h2c)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(distinct(of(doc, 'http1'), 'originPort')).toBe(5);
    expect(failed(doc)).toEqual([]);
    expect(doc.verdict).toBe('reproduced');
  });

  // HAProxy's default http-reuse safe keeps an h2 server connection for the client session whose first request
  // opened it: 5 client connections, 5 h2 connections, each carrying one client's 4 requests one at a time.
  it.skipIf(noHaproxy)('haproxy (reuse safe): h2c gives one origin connection per client connection, not one for all', async () => {
    const doc = await run(['proxy.kind=haproxy']);
    const h2c = of(doc, 'h2c');
    expect(doc.requests.map((r) => r.status)).toEqual(Array<number>(40).fill(200));
    expect(distinct(h2c, 'clientPort')).toBe(5);
    expect(distinct(h2c, 'originPort')).toBe(5);
    expect(originPortsPerClient(h2c)).toEqual([1, 1, 1, 1, 1]);
    expect(sortedNth(h2c)).toEqual([1, 2, 3, 4].flatMap((n) => Array<number>(5).fill(n)));
    // HAProxy records nothing itself; its access log's %bp is joined and is the port the origin saw.
    expect(h2c.filter((r) => r.upstreamPort !== r.originPort)).toEqual([]);
    // The scenario's h2c checks are l7's one-session claim: exactly those fail.
    expect(failed(doc)).toEqual(['h2c origin.connections', 'h2c origin.maxRequestsPerConnection', 'h2c proxy.upstreamConnections']);
  });
});
