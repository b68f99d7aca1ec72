import { LAB_HEADERS, type LabEvent, type OriginRequestEvent, type RequestRecord } from '@keepalive-lab/core';
import { round } from './stats.js';
import type { Metrics } from './metrics.js';

/**
 * What every proxy is judged by, whoever wrote it: facts read off the two
 * ends of the run alone — the client's records (its ports, what it got) and
 * the origin's events (what arrived, on which connection). nginx, HAProxy
 * and the lab's own engines are measured by the same arithmetic; the lab's
 * engines' own counts (`proxy.own.*`) are kept beside, and a test holds the
 * two equal.
 */
export function endMetrics(requests: RequestRecord[], events: LabEvent[], hasProxy: boolean, originNames: string[]): Metrics {
  const m: Metrics = {};
  failureMetrics(requests, m);
  const arrivals: OriginRequestEvent[] = [];
  let originConns = 0;
  for (const e of events) {
    if (e.source !== 'origin') continue;
    if (e.event === 'request') arrivals.push(e);
    else if (e.event === 'conn-open') originConns++;
  }
  if (!events.some((e) => e.source === 'origin')) return m;

  // Requests on which the header the client named in `Connection` (x-lab-hop) still reached the origin.
  m['origin.hopHeaderLeaks'] = arrivals.filter((a) => a.hop?.[LAB_HEADERS.hop] !== undefined).length;
  // Requests that reached the origin on a connection that had carried one before.
  const onReused = arrivals.filter((a) => a.nth >= 2).length;
  m['reuse.ratio'] = arrivals.length === 0 ? 0 : round(onReused / arrivals.length, 2);

  const clientPortOf = new Map<string, number>();
  for (const r of requests) if (r.clientPort !== null) clientPortOf.set(r.id, r.clientPort);
  // Per origin connection, the client connections whose requests it carried.
  const clientsPerConn = new Map<string, Set<number>>();
  // Per client connection, the origins its requests reached.
  const originsPerClient = new Map<number, Set<string>>();
  const timesSeen = new Map<string, number>();
  for (const a of arrivals) {
    if (a.id === null) continue;
    timesSeen.set(a.id, (timesSeen.get(a.id) ?? 0) + 1);
    const port = clientPortOf.get(a.id);
    if (port === undefined) continue;
    const conn = `${a.origin}#${a.conn}`;
    clientsPerConn.set(conn, (clientsPerConn.get(conn) ?? new Set()).add(port));
    originsPerClient.set(port, (originsPerClient.get(port) ?? new Set()).add(a.origin));
  }
  m['origin.sharedConnections'] = [...clientsPerConn.values()].filter((s) => s.size > 1).length;
  if (originNames.length > 1) {
    // 0 when each client connection stuck to one origin (L4, sticky); > 0 when requests were balanced one by one.
    m['balance.splitClientConnections'] = [...originsPerClient.values()].filter((s) => s.size > 1).length;
  }
  if (hasProxy) {
    // A request id the origin received more than once was sent again by the proxy (the client never repeats one).
    m['proxy.retries'] = [...timesSeen.values()].reduce((n, seen) => n + seen - 1, 0);
    m['proxy.upstreamConnections'] = originConns;
    m['proxy.upstreamReuses'] = onReused;
    // Every connection the client opened was accepted by the first proxy (a refused one has no port).
    m['proxy.clientConnections'] = requests.filter((r) => r.reused === false && r.clientPort !== null).length;
  }
  return m;
}

/** What the client got when it did not get a good answer: a status, a reset, an EOF, a timeout, a refusal. */
export const FAILURE_KINDS = ['http', 'reset', 'eof', 'timeout', 'refused', 'other'] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

/** A request's failure kind; null for an answer below 400. A socket error wins over a status (a reset mid-body after a 200 head). */
export function failureKind(r: Pick<RequestRecord, 'status' | 'error'>): FailureKind | null {
  if (r.error === null) return r.status !== null && r.status >= 400 ? 'http' : null;
  if (r.error === 'ECONNRESET' || r.error === 'EPIPE') return 'reset';
  if (r.error === 'EOF') return 'eof';
  if (r.error === 'TIMEOUT') return 'timeout';
  if (r.error === 'ECONNREFUSED') return 'refused';
  return 'other';
}

function failureMetrics(requests: RequestRecord[], m: Metrics): void {
  for (const k of FAILURE_KINDS) m[`failures.${k}`] = 0;
  for (const r of requests) {
    const k = failureKind(r);
    if (k !== null) m[`failures.${k}`] = (m[`failures.${k}`] ?? 0) + 1;
  }
}
