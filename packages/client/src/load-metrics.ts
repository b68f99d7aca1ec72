import { percentile } from '@keepalive-lab/core';
import type { LoadResult } from './load-options.js';

/**
 * The figures a load run adds to the catalogue's metrics (latency.p50/p99/max,
 * requests.*, client.*, duration are computed by packages/scenarios for every
 * run): the rest of the latency spread, throughput, bytes on the wire, and how
 * well a rate was kept. Shaped as the catalogue's entries (MetricEntry) so the
 * catalogue and the reference page can take them as they are.
 */
export const LOAD_METRICS: readonly { name: string; from: 'client'; meaning: string }[] = [
  { name: 'latency.p90', from: 'client', meaning: '90th percentile ms to an answer' },
  { name: 'latency.p99.9', from: 'client', meaning: '99.9th percentile ms to an answer' },
  { name: 'throughput.requests', from: 'client', meaning: 'answers per second (any status), over duration' },
  { name: 'bytes.read', from: 'client', meaning: "bytes the client's sockets read: response heads and bodies" },
  { name: 'bytes.sent', from: 'client', meaning: "bytes the client's sockets wrote: request heads and bodies" },
  { name: 'throughput.bytesRead', from: 'client', meaning: 'bytes.read per second, over duration' },
  { name: 'throughput.bytesSent', from: 'client', meaning: 'bytes.sent per second, over duration' },
  { name: 'rate.offered', from: 'client', meaning: 'the rate asked for (lab load -R), requests per second' },
  { name: 'rate.issued', from: 'client', meaning: 'requests started per second, first start to last: the rate kept' },
  {
    name: 'rate.late',
    from: 'client',
    meaning: 'requests that came due while every concurrency slot was busy, and started late, when one freed',
  },
  { name: 'rate.lagMax', from: 'client', meaning: 'the most ms a request started after it was due' },
];

const round = (n: number, digits = 1): number => Number(n.toFixed(digits));

/** LOAD_METRICS for one run; a figure that cannot be known (no answer, a zero duration, no rate) is absent, never 0. */
export function loadMetrics(r: LoadResult, offeredRate: number | null = null): Record<string, number> {
  const m: Record<string, number> = {};
  // As computeMetrics: latency is the time to a response; a request that ended in a socket error has none.
  const latencies = r.records.flatMap((x) => (x.end !== null && x.status !== null ? [x.end - x.start] : [])).sort((a, b) => a - b);
  const p90 = percentile(latencies, 90);
  const p999 = percentile(latencies, 99.9);
  if (p90 !== null) m['latency.p90'] = round(p90);
  if (p999 !== null) m['latency.p99.9'] = round(p999);
  m['bytes.read'] = r.bytesRead;
  m['bytes.sent'] = r.bytesSent;
  const seconds = r.durationMs / 1000;
  if (seconds > 0) {
    m['throughput.requests'] = round(latencies.length / seconds);
    m['throughput.bytesRead'] = Math.round(r.bytesRead / seconds);
    m['throughput.bytesSent'] = Math.round(r.bytesSent / seconds);
  }
  if (offeredRate !== null) {
    m['rate.offered'] = offeredRate;
    const first = r.records[0]?.start;
    const last = r.records[r.records.length - 1]?.start;
    if (first !== undefined && last !== undefined && last > first)
      m['rate.issued'] = round(((r.records.length - 1) * 1000) / (last - first));
    m['rate.late'] = r.late;
    // A loop, not Math.max(...lags): a long run has more lags than a call takes arguments.
    m['rate.lagMax'] = round(r.lags.reduce((a, b) => Math.max(a, b), 0));
  }
  return m;
}
