import { describe, expect, it } from 'vitest';
import type { ClientRecord, LabEvent } from '@keepalive-lab/core';
import { LiveModel, type WireLane, type WireSnapshot } from '@keepalive-lab/report';
import { loadScenario, BUILTIN_SCENARIO_DIR, type RunEvent, type Scenario } from '@keepalive-lab/scenarios';
import { join } from 'node:path';

// The live page's model fed by hand: the same stream the runner emits, in orders a real run can produce.

async function scenario(name: string): Promise<Scenario> {
  const r = await loadScenario(join(BUILTIN_SCENARIO_DIR, `${name}.yaml`));
  if (!r.ok) throw r.error;
  return r.value.scenario;
}

const start = (s: Scenario, hops: string[], total: number): RunEvent => ({
  type: 'start',
  t: 0,
  variant: null,
  scenario: s,
  hops,
  total,
  startedAt: '2026-01-01T00:00:00.000Z',
});
const ev = (event: LabEvent): RunEvent => ({ type: 'event', t: event.t, event });
const answered = (id: string, t: number, clientPort: number, originPort: number, done: number): RunEvent => {
  const record: ClientRecord = {
    id,
    start: 0,
    end: t,
    status: 200,
    error: null,
    clientPort,
    reused: null,
    originPort,
    origin: 'origin',
    originConn: null,
    nthOnConn: null,
  };
  return { type: 'request', t, record, done, total: done };
};

/** One request through an L4 proxy, its events in a given order, then its answer. */
function l4Run(order: string[]): LabEvent[] {
  const all: Record<string, LabEvent> = {
    clientOpen: { event: 'client-open', source: 'proxy', t: 1, proxy: 'naive-l4', clientConn: 1, clientPort: 50001 },
    upstreamOpen: {
      event: 'upstream-open',
      source: 'proxy',
      t: 2,
      proxy: 'naive-l4',
      upstreamConn: 1,
      localPort: 60001,
      target: '127.0.0.1:9',
      clientConn: 1,
    },
    connOpen: { event: 'conn-open', source: 'origin', t: 2, origin: 'origin', conn: 1, remotePort: 60001 },
    request: {
      event: 'request',
      source: 'origin',
      t: 3,
      origin: 'origin',
      id: 'r1',
      conn: 1,
      remotePort: 60001,
      nth: 1,
      method: 'POST',
      bytes: 14,
    },
    upstreamClose: {
      event: 'upstream-close',
      source: 'proxy',
      t: 3000,
      proxy: 'naive-l4',
      upstreamConn: 1,
      localPort: 60001,
      target: '127.0.0.1:9',
      reason: 'peer-closed',
    },
    connClose: {
      event: 'conn-close',
      source: 'origin',
      t: 3001,
      origin: 'origin',
      conn: 1,
      remotePort: 60001,
      requests: 1,
      reason: 'idle-timeout',
    },
  };
  return order.map((k) => all[k] as LabEvent);
}

const shape = (lanes: WireLane[]) =>
  lanes
    .map((l) => ({ link: l.link, port: l.port, server: l.server, closedBy: l.closedBy, reason: l.reason, mark: l.mark, bars: l.bars }))
    .sort((a, b) => a.link - b.link);

describe('the live model', () => {
  it('joins both sides of a connection by port, whatever order their events come in', async () => {
    const s = await scenario('keepalive-l4');
    const orders = [
      ['clientOpen', 'upstreamOpen', 'connOpen', 'request', 'upstreamClose', 'connClose'],
      // The origin hears of the connection, and even the request, before the proxy's upstream-open is recorded.
      ['clientOpen', 'connOpen', 'request', 'upstreamOpen', 'connClose', 'upstreamClose'],
    ];
    const results = orders.map((order) => {
      const m = new LiveModel();
      m.apply(start(s, ['naive-l4'], 1));
      for (const e of l4Run(order)) m.apply(ev(e));
      m.apply(answered('r1', 3002, 50001, 60001, 1));
      return m.snapshot();
    });
    const [a, b] = results as [WireSnapshot, WireSnapshot];
    expect(a.lanes).toHaveLength(2);
    expect(shape(b.lanes)).toEqual(shape(a.lanes));
    // The client lane carries the request from when the origin saw it; the origin lane closed ▼ by the origin's idle timer.
    expect(shape(a.lanes)).toEqual([
      {
        link: 0,
        port: 50001,
        server: 'naive-l4',
        closedBy: null,
        reason: null,
        mark: null,
        bars: [{ id: 'r1', from: 3, to: 3002, n: 1, failed: 0, st: '200' }],
      },
      {
        link: 1,
        port: 60001,
        server: 'origin',
        closedBy: 'origin',
        reason: 'idle-timeout',
        mark: 'idle',
        // A bar never outlives its connection.
        bars: [{ id: 'r1', from: 3, to: 3000, n: 1, failed: 0, st: '200' }],
      },
    ]);
    expect(a.counters).toMatchObject({ done: 1, ok: 1, inFlight: 0, open: [1, 0], opened: [1, 1], idleCloses: 1 });
  });

  it('10,000 requests on one connection stay a bounded number of bars, every request counted', async () => {
    const s = await scenario('keepalive-direct');
    const m = new LiveModel();
    m.apply(start(s, [], 10_000));
    m.apply(ev({ event: 'conn-open', source: 'origin', t: 1, origin: 'origin', conn: 1, remotePort: 50001 }));
    for (let i = 1; i <= 10_000; i++) {
      const t = i * 0.2;
      m.apply(
        ev({
          event: 'request',
          source: 'origin',
          t,
          origin: 'origin',
          id: `r${i}`,
          conn: 1,
          remotePort: 50001,
          nth: i,
          method: 'GET',
          bytes: 0,
        }),
      );
      m.apply(answered(`r${i}`, t + 0.1, 50001, 50001, i));
    }
    const lane = m.snapshot().lanes[0] as WireLane;
    expect(lane.n).toBe(10_000);
    expect(lane.bars.length).toBeLessThanOrEqual(64);
    expect(lane.bars.reduce((n, b) => n + b.n, 0)).toBe(10_000);
    expect(m.snapshot().lanes).toHaveLength(1); // direct: the client's connection is the origin's
  });

  it('a hop that tells nothing (a real peer): the records place the requests on client lanes', async () => {
    const s = await scenario('keepalive-nginx');
    const m = new LiveModel();
    m.apply(start(s, ['nginx'], 1));
    m.apply(ev({ event: 'conn-open', source: 'origin', t: 1, origin: 'origin', conn: 1, remotePort: 60001 }));
    m.apply(
      ev({
        event: 'request',
        source: 'origin',
        t: 2,
        origin: 'origin',
        id: 'r1',
        conn: 1,
        remotePort: 60001,
        nth: 1,
        method: 'GET',
        bytes: 0,
      }),
    );
    m.apply(answered('r1', 5, 50001, 60001, 1));
    const lanes = shape(m.snapshot().lanes);
    expect(lanes.map((l) => [l.link, l.port, l.server, l.bars.map((b) => b.id)])).toEqual([
      [0, 50001, 'nginx', ['r1']],
      [1, 60001, 'origin', ['r1']],
    ]);
  });
});
