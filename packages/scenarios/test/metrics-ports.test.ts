import { describe, expect, it } from 'vitest';
import type { ClientRecord } from '@keepalive-lab/core';
import { computeMetrics, joinRecords } from '../src/index.js';
import { clientRecord } from './helpers/records.js';

const ok = (id: string, clientPort: number, reused = false): ClientRecord =>
  clientRecord({ id, start: 0, end: 10, status: 200, error: null, clientPort, reused });
/** Failed before connecting: no socket, so no port (ECONNREFUSED, EADDRNOTAVAIL). */
const neverConnected = (id: string, error = 'ECONNREFUSED'): ClientRecord =>
  clientRecord({ id, start: 0, end: null, status: null, error, clientPort: null, reused: false });
/** Failed after connecting: the socket had its port (reset, or an answer never came). */
const failedOn = (id: string, clientPort: number, error = 'ECONNRESET'): ClientRecord =>
  clientRecord({ id, start: 0, end: null, status: null, error, clientPort, reused: false });

const metrics = (records: ClientRecord[]) =>
  computeMetrics({ requests: joinRecords(records, []), events: [], durationMs: 10, batchGap: 250 });

describe('client.distinctPorts counts the ports the client used, failed requests included', () => {
  it('a request that failed before connecting has no port and does not count', () => {
    const m = metrics([ok('r1', 40000), neverConnected('r2')]);
    expect(m['client.distinctPorts']).toBe(1);
    expect(m['requests.failed']).toBe(1);
    expect(m['errors.ECONNREFUSED']).toBe(1);
  });

  it('several that never connected still add nothing, even with no request answered', () => {
    expect(metrics([neverConnected('r1'), neverConnected('r2', 'EADDRNOTAVAIL')])['client.distinctPorts']).toBe(0);
  });

  it('a request that failed after connecting, alone on its port, counts that port', () => {
    const m = metrics([ok('r1', 40000), failedOn('r2', 40001)]);
    expect(m['client.distinctPorts']).toBe(2);
    expect(m['requests.failed']).toBe(1);
  });

  it('a failed request alone on its port counts even when nothing succeeded', () => {
    expect(metrics([failedOn('r1', 40001), failedOn('r2', 40002, 'ETIMEDOUT')])['client.distinctPorts']).toBe(2);
  });

  it('both kinds together: only the ports that existed, each once', () => {
    const m = metrics([ok('r1', 40000), ok('r2', 40000, true), failedOn('r3', 40001), neverConnected('r4'), neverConnected('r5')]);
    expect(m['client.distinctPorts']).toBe(2);
    expect(m['client.connections']).toBe(2);
  });
});
