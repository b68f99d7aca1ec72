import { describe, expect, it } from 'vitest';
import type { ClientRecord, LabEvent } from '@keepalive-lab/core';
import {
  BUILTIN_SCENARIO_DIR,
  checkExpectations,
  computeMetrics,
  joinRecords,
  loadScenario,
  runToDocument,
  scenarioSchema,
} from '../src/index.js';
import { clientRecord, originRequest } from './helpers/records.js';

const rec = (id: string, clientPort: number, reused: boolean, status: number | null, error: string | null = null): ClientRecord =>
  clientRecord({ id, start: 0, end: status === null ? null : 5, status, error, clientPort, reused });
const open = (conn: number, origin = 'origin'): LabEvent => ({
  event: 'conn-open',
  source: 'origin',
  t: 0,
  origin,
  conn,
  remotePort: 7000 + conn,
});
const arrive = (id: string, conn: number, nth: number, origin = 'origin'): LabEvent => originRequest(id, 7000 + conn, conn, nth, origin);

describe('metrics from the two ends (any proxy kind)', () => {
  // Client connections 1 and 2; origin connection 1 carries a (client 1) then b (client 2): shared.
  // a was sent twice (once on conn 1, again on conn 2): one retry. c rides conn 2 after a.
  const events: LabEvent[] = [open(1), arrive('a', 1, 1), arrive('b', 1, 2), open(2), arrive('a', 2, 1), arrive('c', 2, 2)];
  const client = [
    rec('a', 1, false, 200),
    rec('b', 2, false, 502),
    rec('c', 1, true, 200),
    rec('d', 2, true, null, 'EOF'),
    rec('e', 3, false, null, 'ECONNRESET'),
    rec('f', 4, false, null, 'TIMEOUT'),
  ];

  it('derives retries, upstream connections, reuse, sharing and what the client got, with no proxy event at all', () => {
    const m = computeMetrics({
      requests: joinRecords(client, events, [{ kind: 'nginx', name: 'nginx' }]),
      events,
      durationMs: 10,
      batchGap: 100,
      hasProxy: true,
    });
    expect(m).toMatchObject({
      'proxy.retries': 1,
      'proxy.upstreamConnections': 2,
      'proxy.upstreamReuses': 2,
      'proxy.clientConnections': 4,
      'origin.sharedConnections': 1,
      'reuse.ratio': 0.5,
      'failures.http': 1,
      'failures.eof': 1,
      'failures.reset': 1,
      'failures.timeout': 1,
      'failures.refused': 0,
    });
    expect(m).not.toHaveProperty('proxy.own.retries');
  });

  it('a direct run has no proxy metrics; one origin has no balance metric; two origins count split client connections', () => {
    const direct = computeMetrics({ requests: joinRecords(client, events), events, durationMs: 10, batchGap: 100, hasProxy: false });
    expect(Object.keys(direct).filter((k) => k.startsWith('proxy.'))).toEqual([]);
    expect(direct).not.toHaveProperty('balance.splitClientConnections');
    const two: LabEvent[] = [open(1, 'o1'), open(1, 'o2'), arrive('a', 1, 1, 'o1'), arrive('c', 1, 1, 'o2'), arrive('b', 1, 2, 'o1')];
    const m = computeMetrics({
      requests: joinRecords(client, two, [{ kind: 'nginx', name: 'nginx' }]),
      events: two,
      durationMs: 10,
      batchGap: 100,
      hasProxy: true,
      originNames: ['o1', 'o2'],
    });
    // Client connection 1 sent a (→ o1) and c (→ o2): balanced per request. Client 2's b went to o1 only.
    expect(m['balance.splitClientConnections']).toBe(1);
  });
});

describe('a metric the topology cannot observe', () => {
  const scenario = (proxy?: Record<string, unknown>) => scenarioSchema.parse({ name: 'x', title: 'x', ...(proxy ? { proxy } : {}) });

  it('reads n/a and its check is skipped with the reason; an observable metric that is missing still fails', () => {
    const [direct] = checkExpectations([{ metric: 'proxy.retries', equals: 0 }], {}, scenario());
    expect(direct).toMatchObject({ actual: null, pass: true, skipped: 'no proxy in this run' });
    const [peer] = checkExpectations([{ metric: 'proxy.own.retries', equals: 0 }], {}, scenario({ kind: 'nginx' }));
    expect(peer?.skipped).toMatch(/nginx keeps no counts.*proxy\.retries is derived/);
    const [own] = checkExpectations([{ metric: 'proxy.own.retries', equals: 0 }], {}, scenario({ kind: 'l7' }));
    expect(own).toMatchObject({ pass: false });
    expect(own).not.toHaveProperty('skipped');
  });
});

describe("the lab's own proxies count what the two ends show", () => {
  // Each lab engine's own counters (proxy.own.*) against the same metric derived from the client and the origin.
  const cases: [string, string[]][] = [
    ['keepalive-l7', []],
    ['close-clients-l7', []],
    ['stale-socket-retry', []],
    ['stale-socket-retry', ['proxy.kind=l7-fast']],
    ['keepalive-pipe-l4', []],
    ['balance-l4-vs-l7', []],
  ];
  it.each(cases)('%s %s', async (name, sets) => {
    const loaded = await loadScenario(`${BUILTIN_SCENARIO_DIR}${name}.yaml`, sets);
    if (!loaded.ok) throw loaded.error;
    const doc = await runToDocument(loaded.value);
    // The counts both sides have (the lab's engines also count their own upstream errors, which the ends cannot tell apart).
    const own = Object.entries(doc.metrics).filter(([k]) =>
      /proxy\.own\.(clientConnections|upstreamConnections|upstreamReuses|retries)$/.test(k),
    );
    expect(own.length).toBeGreaterThan(0);
    for (const [k, v] of own) expect([k, doc.metrics[k.replace('proxy.own.', 'proxy.')]]).toEqual([k, v]);
  });
});
