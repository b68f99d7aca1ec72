import type { ClientRecord, RequestRecord } from '@keepalive-lab/core';

/** Flat metric map with DESIGN.md's names. */
export type ClientMetrics = Record<string, number>;

/**
 * The metrics a client alone can know, from its records (the origin's stamps
 * included). Pure, so `lab load` and tests share it; the scenario runner has
 * the full set (origin and proxy events). Same definitions as there: a
 * request is ok when it got a status below 400; `errors.HTTP_<status>`
 * counts the others, `errors.<CODE>` the socket errors.
 */
export function clientMetrics(records: readonly ClientRecord[], durationMs: number): ClientMetrics {
  const m: ClientMetrics = {};
  let ok = 0;
  let connections = 0;
  let reused = 0;
  const clientPorts = new Set<number>();
  const originPorts = new Set<number>();
  let originKnown = false;
  const latencies: number[] = [];
  let first: ClientRecord | null = null;
  for (const r of records) {
    if (r.status !== null && r.status < 400) ok++;
    const code = r.error ?? (r.status !== null && r.status >= 400 ? `HTTP_${r.status}` : null);
    if (code !== null) m[`errors.${code}`] = (m[`errors.${code}`] ?? 0) + 1;
    if (r.clientPort !== null) clientPorts.add(r.clientPort);
    if (r.reused === false && r.clientPort !== null) connections++;
    if (r.reused === true) reused++;
    if (r.originPort !== null) {
      originKnown = true;
      originPorts.add(r.originPort);
    }
    if (r.end !== null) {
      latencies.push(r.end - r.start);
      if (first === null || first.end === null || r.end < first.end) first = r;
    }
  }
  m['requests.total'] = records.length;
  m['requests.ok'] = ok;
  m['requests.failed'] = records.length - ok;
  m['client.distinctPorts'] = clientPorts.size;
  // A connection is a socket that connected and carried its first request.
  m['client.connections'] = connections;
  m['client.reusedRequests'] = reused;
  // Known only through the origin's stamps; absent, not 0, when no response carried one.
  if (originKnown) m['origin.distinctPorts'] = originPorts.size;
  latencies.sort((a, b) => a - b);
  if (first !== null && first.end !== null) m['latency.first'] = round(first.end - first.start);
  if (latencies.length > 0) {
    m['latency.p50'] = round(percentile(latencies, 50));
    m['latency.p99'] = round(percentile(latencies, 99));
    m['latency.max'] = round(latencies[latencies.length - 1] ?? 0);
  }
  m.duration = round(durationMs);
  return m;
}

/** Nearest-rank percentile of a non-empty ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? 0;
}

const round = (n: number): number => Number(n.toFixed(1));

/** The joined record shape of result files, for a client talking to the origin directly: no proxy, so upstreamPort is null. */
export function toRequestRecord(r: ClientRecord): RequestRecord {
  return {
    id: r.id,
    start: r.start,
    end: r.end,
    status: r.status,
    error: r.error,
    clientPort: r.clientPort,
    reused: r.reused,
    upstreamPort: null,
    originPort: r.originPort,
    origin: r.origin,
    originConn: r.originConn,
    nthOnConn: r.nthOnConn,
  };
}
