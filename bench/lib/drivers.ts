import autocannon from 'autocannon';
import { runLoad, type LoadEngine } from '@keepalive-lab/client';
import { percentile } from '@keepalive-lab/scenarios';
import { CONNECTIONS, type Measurement } from './measurement.js';
import { WRK, WRK_INSTALL_HINT, wrkFor } from './wrk.js';

/** One load run of `ms` against `url`: what a contender's `run` is. */
export type Driver = (label: string, url: string, ms: number) => Promise<Measurement>;

/** autocannon, pipelining 1, for `ms` (it measures by duration; whole seconds are what it takes). */
export async function autocannonFor(label: string, url: string, ms: number): Promise<Measurement> {
  const r = await autocannon({ url, connections: CONNECTIONS, duration: ms / 1000, pipelining: 1 });
  const ok = r['2xx']; // the servers under test answer 200
  return { label, rps: ok / r.duration, p99: r.latency.p99, ok, failed: r.errors + r.timeouts + r.non2xx };
}

/**
 * The driver of the server sections: wrk (issue 12's, 1 thread), else
 * autocannon, with the line that says so. autocannon runs in the bench's own
 * process and costs several times wrk's CPU per request: on 2 cores it
 * takes CPU from the server under test, so its figures are lower.
 */
export const serverDriver: { name: string; run: Driver; note: string | null } =
  WRK === null
    ? { name: 'autocannon', run: autocannonFor, note: `wrk is not installed, so autocannon drove this section: ${WRK_INSTALL_HINT}` }
    : { name: 'wrk -t1', run: wrkFor, note: null };

/**
 * `lab load` for `ms`: one request in flight per connection, keep-alive, a
 * pool as large as the connections, records kept (as `lab load` keeps them,
 * each with its client port). The run is sized past what it can finish and
 * stopped by the clock.
 */
export async function labLoadFor(label: string, url: string, ms: number, engine: LoadEngine): Promise<Measurement> {
  const t0 = performance.now();
  const { records } = await runLoad({
    url,
    requests: 50_000_000,
    concurrency: CONNECTIONS,
    keepAlive: true,
    maxSockets: CONNECTIONS,
    method: 'GET',
    engine,
    signal: AbortSignal.timeout(ms),
  });
  const seconds = (performance.now() - t0) / 1000;
  const latencies: number[] = [];
  let failed = 0;
  for (const r of records) {
    if (r.status !== null && r.status < 400 && r.end !== null) latencies.push(r.end - r.start);
    else if (r.error !== 'ABORTED') failed++; // ABORTED: in flight when the clock stopped the run
  }
  latencies.sort((a, b) => a - b);
  return { label, rps: latencies.length / seconds, p99: percentile(latencies, 99) ?? 0, ok: latencies.length, failed };
}
