import { describe, expect, it } from 'vitest';
import type { ClientRecord, LabEvent } from '@keepalive-lab/core';
import { batchesOf, computeMetrics, joinRecords, percentile } from '../src/index.js';
import { clientRecord, originRequest } from './helpers/records.js';

const rec = (
  id: string,
  start: number,
  end: number | null,
  clientPort: number,
  reused: boolean,
  status: number | null = 200,
): ClientRecord => clientRecord({ id, start, end, status, error: status === null ? 'ECONNRESET' : null, clientPort, reused });

describe('join', () => {
  it('takes origin facts from origin events; behind a proxy the upstream port is the port the origin saw', () => {
    const events: LabEvent[] = [
      { event: 'upstream-open', source: 'proxy', t: 0, proxy: 'pipe-l4', upstreamConn: 1, localPort: 5001, target: 'x', clientConn: 1 },
      originRequest('r1', 5001, 1, 1),
      originRequest('r2', 5001, 1, 2),
    ];
    const joined = joinRecords(
      [rec('r1', 0, 5, 40000, false), rec('r2', 0, 9, 40000, true), rec('r3', 0, null, 40001, false, null)],
      events,
      [{ kind: 'pipe-l4', name: 'pipe-l4' }],
    );
    expect(joined.map((r) => [r.id, r.clientPort, r.upstreamPort, r.originPort, r.originConn, r.nthOnConn])).toEqual([
      ['r1', 40000, 5001, 5001, 1, 1],
      ['r2', 40000, 5001, 5001, 1, 2],
      ['r3', 40001, null, null, null, null],
    ]);
  });

  it('uses the L7 forward event for the upstream port, and the last attempt at the origin', () => {
    const events: LabEvent[] = [
      {
        event: 'forward',
        source: 'proxy',
        t: 0,
        proxy: 'l7',
        id: 'r1',
        clientConn: 1,
        upstreamConn: 2,
        localPort: 6002,
        target: 'x',
        reused: false,
        attempt: 2,
      },
      originRequest('r1', 6001, 1, 2),
      originRequest('r1', 6002, 2, 1),
    ];
    const [j] = joinRecords([rec('r1', 0, 3, 40000, false)], events, [{ kind: 'l7', name: 'l7' }]);
    expect([j?.upstreamPort, j?.originPort, j?.originConn]).toEqual([6002, 6002, 2]);
  });

  it("a chain: every hop's ports, a black-box hop read off its lab neighbour (nginx → l7 → origin)", () => {
    const events: LabEvent[] = [
      { event: 'client-open', source: 'proxy', t: 0, proxy: 'l7', clientConn: 7, clientPort: 5500 },
      {
        event: 'forward',
        source: 'proxy',
        t: 0,
        proxy: 'l7',
        id: 'r1',
        clientConn: 7,
        upstreamConn: 1,
        localPort: 6001,
        target: 'x',
        reused: false,
        attempt: 1,
      },
      originRequest('r1', 6001, 1, 1),
    ];
    const [j] = joinRecords([rec('r1', 0, 3, 40000, false)], events, [
      { kind: 'nginx', name: 'nginx' },
      { kind: 'l7', name: 'l7' },
    ]);
    expect(j?.hops).toEqual([
      { kind: 'nginx', clientPort: 40000, upstreamPort: 5500 },
      { kind: 'l7', clientPort: 5500, upstreamPort: 6001 },
    ]);
    expect(j?.upstreamPort).toBe(5500); // the record's field (docs/reference.md): the first proxy's
  });
});

describe('metrics', () => {
  it('counts ports, reuse, errors and batches from the records', () => {
    const requests = joinRecords(
      [rec('a', 0, 3000, 1, false), rec('b', 0, 3001, 2, false), rec('c', 0, 6000, 1, true), rec('d', 0, null, 2, true, null)],
      [originRequest('a', 11, 1, 1), originRequest('b', 12, 2, 1), originRequest('c', 13, 3, 1)],
    );
    const m = computeMetrics({
      requests,
      events: [originRequest('a', 11, 1, 1), originRequest('b', 12, 2, 1), originRequest('c', 13, 3, 1)],
      durationMs: 6000,
      batchGap: 500,
    });
    expect(m).toMatchObject({
      'requests.total': 4,
      'requests.ok': 3,
      'requests.failed': 1,
      'errors.ECONNRESET': 1,
      'client.distinctPorts': 2,
      'client.connections': 2,
      'client.reusedRequests': 2,
      'origin.distinctPorts': 3,
      'latency.first': 3000,
      'latency.max': 6000,
      batches: 2,
    });
    expect(m['proxy.upstreamConnections']).toBeUndefined(); // no proxy in this run: absent, not 0
  });

  it('leaves origin metrics out when nobody saw the origin (a client alone, a non-lab server)', () => {
    const m = computeMetrics({ requests: joinRecords([rec('a', 0, 1, 1, false)], []), events: [], durationMs: 1, batchGap: 100 });
    expect(m).not.toHaveProperty('origin.distinctPorts');
    expect(m).not.toHaveProperty('origin.maxRequestsPerConnection');
    expect(m['client.distinctPorts']).toBe(1);
  });

  it('counts HTTP errors as errors.HTTP_<status>', () => {
    const m = computeMetrics({ requests: joinRecords([rec('a', 0, 1, 1, false, 502)], []), events: [], durationMs: 1, batchGap: 100 });
    expect([m['errors.HTTP_502'], m['requests.failed']]).toEqual([1, 1]);
  });

  it('splits completion waves on quiet gaps', () => {
    expect(batchesOf([3000, 3001, 3002, 6000, 6004, 9000], 500).map((b) => b.length)).toEqual([3, 2, 1]);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)).toBe(5);
    expect(percentile([], 50)).toBeNull();
  });

  it('counts requests per origin only when there are several (with one it would repeat origin.requests)', () => {
    const one = computeMetrics({
      requests: [],
      events: [originRequest('a', 1, 1, 1)],
      durationMs: 1,
      batchGap: 100,
      originNames: ['origin'],
    });
    expect(one).not.toHaveProperty('origin.origin.requests');
    const two = computeMetrics({
      requests: [],
      events: [originRequest('a', 1, 1, 1, 'x'), originRequest('b', 2, 1, 1, 'y')],
      durationMs: 1,
      batchGap: 100,
      originNames: ['x', 'y'],
    });
    expect([two['origin.x.requests'], two['origin.y.requests']]).toEqual([1, 1]);
  });
});
