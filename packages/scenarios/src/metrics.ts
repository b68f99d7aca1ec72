import type { LabEvent, RequestRecord } from '@keepalive-lab/core';
import { endMetrics } from './metrics-ends.js';
import { raceMetrics } from './race.js';
import { batchesOf, percentile, round } from './stats.js';
import type { TimeWaitCounts } from './timewait.js';

/** Flat metric map with the stable names of docs/reference.md (`client.distinctPorts`, ...). */
export type Metrics = Record<string, number>;

export interface MetricInput {
  requests: RequestRecord[];
  events: LabEvent[];
  durationMs: number;
  /** Completions further apart than this start a new batch, ms. */
  batchGap: number;
  /** Every origin of the topology, so one that got nothing counts as 0 in the balance. */
  originNames?: string[];
  /** Sockets in TIME_WAIT after the run (Linux only): by side (timewait.ts), or the origin-port total alone. */
  timeWait?: TimeWaitCounts | number | null;
  /** Whether a proxy stood between client and origin; default: whether one wrote events (a lab proxy). */
  hasProxy?: boolean;
  /** An origin of the run has a closing window (origins.N.closeWindow): the race.* metrics apply. */
  closeWindow?: boolean;
  /** With a chain: the first hop's `proxy` name, whose own counts are proxy.own.* (default: every proxy event). */
  ownProxy?: string;
}

const isOk = (r: RequestRecord): boolean => r.status !== null && r.status < 400;

/**
 * Every metric is computed from the joined records and the events, never
 * kept by hand during the run: the result file holds both, so anyone can
 * recompute and check them.
 */
export function computeMetrics(input: MetricInput): Metrics {
  const { requests, events } = input;
  const m: Metrics = {};
  const ok = requests.filter(isOk).length;
  m['requests.total'] = requests.length;
  m['requests.ok'] = ok;
  m['requests.failed'] = requests.length - ok;
  for (const r of requests) {
    const code = r.error ?? (r.status !== null && r.status >= 400 ? `HTTP_${r.status}` : null);
    if (code !== null) m[`errors.${code}`] = (m[`errors.${code}`] ?? 0) + 1;
  }

  const clientPorts = distinct(requests.map((r) => r.clientPort));
  m['client.distinctPorts'] = clientPorts;
  // A socket that never connected (refused) is no connection.
  m['client.connections'] = requests.filter((r) => r.reused === false && r.clientPort !== null).length;
  m['client.reusedRequests'] = requests.filter((r) => r.reused === true).length;

  let originConns = 0;
  let maxNth = 0;
  let originRequests = 0;
  let idleCloses = 0;
  const perOrigin = new Map<string, number>((input.originNames ?? []).map((n) => [n, 0]));
  let proxyClients = 0;
  let upstreams = 0;
  let reuses = 0;
  let retries = 0;
  let forwards = 0;
  /** Requests the first lab proxy answered 502/504 itself, by what its upstream attempt met (EADDRNOTAVAIL, ECONNREFUSED...). */
  const upstreamErrors = new Map<string, number>();
  for (const e of events) {
    if (e.source === 'origin') {
      if (e.event === 'conn-open') originConns++;
      else if (e.event === 'conn-close' && e.reason === 'idle-timeout') idleCloses++;
      else if (e.event === 'request') {
        originRequests++;
        maxNth = Math.max(maxNth, e.nth);
        perOrigin.set(e.origin, (perOrigin.get(e.origin) ?? 0) + 1);
      }
    } else if (input.ownProxy !== undefined && e.proxy !== input.ownProxy) continue;
    else if (e.event === 'client-open') proxyClients++;
    else if (e.event === 'upstream-open') upstreams++;
    else if (e.event === 'forward') {
      forwards++;
      if (e.reused) reuses++;
      if (e.attempt > 1) retries++;
    } else if (e.event === 'reject' && (e.status === 502 || e.status === 504))
      upstreamErrors.set(e.why, (upstreamErrors.get(e.why) ?? 0) + 1);
  }
  const originSeen = events.some((e) => e.source === 'origin');
  // Unknown is absent, not 0: a client alone in front of a non-lab server sees no origin ports.
  if (originSeen || requests.some((r) => r.originPort !== null)) m['origin.distinctPorts'] = distinct(requests.map((r) => r.originPort));
  if (originSeen) {
    m['origin.connections'] = originConns;
    m['origin.requests'] = originRequests;
    m['origin.maxRequestsPerConnection'] = maxNth;
    m['origin.idleCloses'] = idleCloses;
    // Per origin only when there are several: with one, it would repeat origin.requests.
    if (perOrigin.size > 1) for (const [name, n] of perOrigin) m[`origin.${name}.requests`] = n;
    if (perOrigin.size > 0) {
      // max/min requests per origin; an origin that got none counts as 1, so "all on one" reads as the total.
      const counts = [...perOrigin.values()];
      m['balance.spread'] = round(Math.max(...counts) / Math.max(1, Math.min(...counts)), 2);
    }
  } else if (requests.some((r) => r.nthOnConn !== null)) {
    m['origin.maxRequestsPerConnection'] = Math.max(...requests.map((r) => r.nthOnConn ?? 0));
  }
  const labProxy = events.some((e) => e.source === 'proxy' && (input.ownProxy === undefined || e.proxy === input.ownProxy));
  const anyProxy = events.some((e) => e.source === 'proxy');
  if (labProxy) {
    // The lab's own engines count for themselves too; endMetrics derives the same from the two ends.
    m['proxy.own.clientConnections'] = proxyClients;
    m['proxy.own.upstreamConnections'] = upstreams;
    // Only an L7 proxy knows which upstream connection carried a request.
    if (forwards > 0) {
      m['proxy.own.upstreamReuses'] = reuses;
      m['proxy.own.retries'] = retries;
    }
    // Like errors.<CODE>: present only for a code that occurred.
    for (const [code, n] of upstreamErrors) m[`proxy.own.upstreamErrors.${code}`] = n;
  }
  Object.assign(
    m,
    raceMetrics(
      requests,
      events,
      input.closeWindow ?? events.some((e) => e.source === 'origin' && e.event === 'fault' && e.fault === 'closeWindow-open'),
    ),
  );
  Object.assign(m, endMetrics(requests, events, input.hasProxy ?? anyProxy, input.originNames ?? []));

  // Latency is the time to a response; a request that ended in a socket error has none.
  const answered = requests.filter((r): r is RequestRecord & { end: number } => r.end !== null && r.status !== null);
  const latencies = answered.map((r) => r.end - r.start).sort((a, b) => a - b);
  const firstDone = answered.reduce<(RequestRecord & { end: number }) | null>((a, r) => (a === null || r.end < a.end ? r : a), null);
  if (firstDone) m['latency.first'] = round(firstDone.end - firstDone.start);
  const p50 = percentile(latencies, 50);
  const p99 = percentile(latencies, 99);
  if (p50 !== null) m['latency.p50'] = round(p50);
  if (p99 !== null) m['latency.p99'] = round(p99);
  if (latencies.length > 0) m['latency.max'] = round(latencies[latencies.length - 1] ?? 0);
  m.duration = round(input.durationMs);
  m.batches = batchesOf(
    answered.map((r) => r.end).sort((a, b) => a - b),
    input.batchGap,
  ).length;
  const tw = input.timeWait;
  if (typeof tw === 'number') m.timeWait = tw;
  else if (tw !== undefined && tw !== null) {
    m.timeWait = tw.total;
    m['timeWait.origin'] = tw.origin;
    // A direct run has no proxy to hold one: its proxy sides are absent, as proxy.* are.
    if (input.hasProxy ?? anyProxy) {
      m['timeWait.proxyUpstream'] = tw.proxyUpstream;
      m['timeWait.proxyClient'] = tw.proxyClient;
    }
    m['timeWait.client'] = tw.client;
  }
  return m;
}

function distinct(values: (number | null)[]): number {
  const s = new Set<number>();
  for (const v of values) if (v !== null) s.add(v);
  return s.size;
}
