import { describe, expect, it } from 'vitest';
import type { ClientRecord } from '@keepalive-lab/core';
import { clientMetrics, toRequestRecord } from '../src/index.js';

const rec = (over: Partial<ClientRecord>): ClientRecord => ({
  id: 'r',
  start: 0,
  end: 10,
  status: 200,
  error: null,
  clientPort: 50000,
  reused: false,
  originPort: 50000,
  origin: 'o',
  originConn: 1,
  nthOnConn: 1,
  ...over,
});

describe('clientMetrics', () => {
  it('counts requests, errors by code, ports, connections and latency with the DESIGN names', () => {
    const m = clientMetrics(
      [
        rec({ id: 'r1', end: 5 }),
        rec({ id: 'r2', reused: true, start: 1, end: 21, nthOnConn: 2 }),
        rec({ id: 'r3', clientPort: 50001, originPort: 50001, status: 502, end: 30 }),
        rec({ id: 'r4', clientPort: null, reused: false, status: null, error: 'ECONNREFUSED', originPort: null, end: 2 }),
      ],
      40,
    );
    expect(m).toEqual({
      'requests.total': 4,
      'requests.ok': 2,
      'requests.failed': 2,
      'errors.HTTP_502': 1,
      'errors.ECONNREFUSED': 1,
      'client.distinctPorts': 2,
      'client.connections': 2,
      'client.reusedRequests': 1,
      'origin.distinctPorts': 2,
      'latency.first': 2,
      'latency.p50': 5,
      'latency.p99': 30,
      'latency.max': 30,
      duration: 40,
    });
  });

  it('leaves origin.distinctPorts out when no response carried the origin stamp', () => {
    expect(clientMetrics([rec({ originPort: null })], 1)).not.toHaveProperty('origin.distinctPorts');
  });

  it('joins to the result-file record with upstreamPort null', () => {
    expect(Object.keys(toRequestRecord(rec({})))).toEqual([
      'id', 'start', 'end', 'status', 'error', 'clientPort', 'reused', 'upstreamPort', 'originPort', 'origin', 'originConn', 'nthOnConn',
    ]);
    expect(toRequestRecord(rec({})).upstreamPort).toBeNull();
  });
});
