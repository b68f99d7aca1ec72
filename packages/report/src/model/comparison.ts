import type { RequestRecord } from '@keepalive-lab/core';
import type { ResultView } from './views.js';

/** How a metric's values are read, and so when two of them differ enough to matter. */
export type MetricKind = 'count' | 'time' | 'ratio';

export interface ComparedColumn {
  label: string;
  scenario: string;
  variant: string | null;
  title: string;
  file: string | null;
  startedAt: string;
  verdict: string;
}

export interface ComparedMetric {
  metric: string;
  kind: MetricKind;
  /** One per column; null where that result has no such metric. */
  values: (number | null)[];
  /** One of the figures a reader compares first: ports, connections, reuse, latency, batches, errors. */
  key: boolean;
  /** Values differ by more than noise (any count; times by 1.5× and 20 ms; ratios by 0.05). */
  differs: boolean;
}

export interface PortChain {
  client: number | null;
  upstream: number | null;
  origin: number | null;
}

export interface ChainColumn {
  label: string;
  distinct: { client: number; upstream: number; origin: number };
  /** Whether the topology has a proxy hop that reports upstream ports. */
  hasUpstream: boolean;
  /** Per request, in order of start. */
  chains: PortChain[];
}

export interface Comparison {
  columns: ComparedColumn[];
  metrics: ComparedMetric[];
  chains: ChainColumn[];
}

/**
 * The metrics a reader compares first, in reading order.
 * `origin.requestsPerConnection` is derived here, not stored; `reuse.ratio`
 * is the run's own (the catalogue's: the origin's requests on a reused
 * connection), never recomputed here from the client's side.
 */
export const KEY_METRICS = [
  'requests.total',
  'requests.ok',
  'requests.failed',
  'client.distinctPorts',
  'client.connections',
  'proxy.upstreamConnections',
  'origin.distinctPorts',
  'origin.connections',
  'client.reusedRequests',
  'reuse.ratio',
  'origin.requestsPerConnection',
  'origin.idleCloses',
  'latency.first',
  'latency.p50',
  'latency.p99',
  'latency.max',
  'duration',
  'batches',
  'timeWait',
];

export function kindOf(metric: string): MetricKind {
  if (metric.startsWith('latency.') || metric === 'duration') return 'time';
  if (metric === 'reuse.ratio' || metric === 'origin.requestsPerConnection' || metric === 'balance.spread') return 'ratio';
  return 'count';
}

/** Stored metrics plus the derived requests per origin connection. */
export function metricsWithDerived(v: ResultView): Record<string, number> {
  const m: Record<string, number> = { ...v.metrics };
  const oreq = m['origin.requests'];
  const oconn = m['origin.connections'];
  if (oreq !== undefined && oconn !== undefined && oconn > 0) m['origin.requestsPerConnection'] = round2(oreq / oconn);
  return m;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

export function differs(kind: MetricKind, values: (number | null)[]): boolean {
  const known = values.filter((v): v is number => v !== null);
  if (known.length < values.length) return known.length > 0; // present in one, absent in another
  const lo = Math.min(...known);
  const hi = Math.max(...known);
  if (kind === 'count') return hi !== lo;
  if (kind === 'ratio') return hi - lo > 0.05;
  return hi - lo > 20 && hi > 1.5 * Math.max(lo, 1);
}

export function compareViews(views: ResultView[]): Comparison {
  const all = views.map(metricsWithDerived);
  const names = new Set<string>();
  for (const m of all) for (const k of Object.keys(m)) names.add(k);
  const errors = [...names].filter((k) => k.startsWith('errors.')).sort();
  const key = [...KEY_METRICS.filter((k) => names.has(k)), ...errors];
  const rest = [...names].filter((k) => !key.includes(k)).sort();
  const metrics = [...key, ...rest].map((metric): ComparedMetric => {
    const kind = kindOf(metric);
    const values = all.map((m) => m[metric] ?? null);
    return { metric, kind, values, key: key.includes(metric), differs: differs(kind, values) };
  });
  return {
    columns: views.map((v) => ({
      label: v.label,
      scenario: v.scenario,
      variant: v.variant,
      title: v.title,
      file: v.file,
      startedAt: v.startedAt,
      verdict: v.verdict,
    })),
    metrics,
    chains: views.map((v) => chainColumn(v.label, v.requests)),
  };
}

export function chainColumn(label: string, requests: RequestRecord[]): ChainColumn {
  // A stable sort: requests that started together keep their recorded order.
  const ordered = [...requests].sort((a, b) => a.start - b.start);
  const chains = ordered.map((r) => ({ client: r.clientPort, upstream: r.upstreamPort, origin: r.originPort }));
  const count = (pick: (c: PortChain) => number | null) => new Set(chains.map(pick).filter((p) => p !== null)).size;
  return {
    label,
    distinct: { client: count((c) => c.client), upstream: count((c) => c.upstream), origin: count((c) => c.origin) },
    hasUpstream: chains.some((c) => c.upstream !== null),
    chains,
  };
}
