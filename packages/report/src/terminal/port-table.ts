import type { RequestRecord } from '@keepalive-lab/core';
import { fitTable, type Column, type Merge, type Row } from './fit-table.js';
import { cell, ms, type Painter } from './style.js';

/** Rows beyond this are counted, not drawn: a `Connection: close` run has a port per request. */
const MAX_ROWS = 40;
/** Values listed in one cell before it says "… (N)". */
const MAX_VALUES = 6;

/**
 * The port-reuse table: one row per client port, in order of first use,
 * with what each hop saw. "5 ports vs 20 ports" should be visible at a glance.
 */
export function renderPortTable(requests: RequestRecord[], p: Painter): string {
  const byPort = new Map<string, RequestRecord[]>();
  for (const r of requests) {
    const key = r.clientPort === null ? '–' : String(r.clientPort);
    const rows = byPort.get(key);
    if (rows) rows.push(r);
    else byPort.set(key, [r]);
  }
  const chain = hopsBeforeLast(requests);
  const hasUpstream = chain.length === 0 && requests.some((r) => r.upstreamPort !== null);
  const columns: Column[] = [
    { head: 'client port' },
    { head: 'requests', drop: 3 },
    ...chain.map((kind) => ({ head: `${kind} upstream ports` })),
    ...(hasUpstream ? [{ head: 'upstream ports' }] : []),
    { head: 'origin ports' },
    { head: 'nth on conn', drop: 1 },
    { head: 'status' },
    { head: 'done at', drop: 2 },
  ];
  const rows: Row[] = [];
  for (const [port, rs] of byPort) {
    if (rows.length === MAX_ROWS) break;
    const statuses = summarise(rs.map((r) => (r.status !== null ? String(r.status) : (r.error ?? '–'))));
    const bad = rs.some((r) => r.status === null || r.status >= 400);
    rows.push([
      port,
      String(rs.length),
      ...chain.map((_, i) => distinct(rs.map((r) => cell(r.hops?.[i]?.upstreamPort)))),
      ...(hasUpstream ? [distinct(rs.map((r) => cell(r.upstreamPort)))] : []),
      distinct(rs.map((r) => cell(r.originPort))),
      range(rs.map((r) => r.nthOnConn)),
      bad ? p.c.red(statuses) : p.c.green(statuses),
      distinct(rs.map((r) => (r.end === null ? '–' : ms(r.end)))),
    ]);
  }
  const more = byPort.size > MAX_ROWS ? `\n${p.c.dim(`… and ${byPort.size - MAX_ROWS} more client ports`)}` : '';
  return fitTable(columns, rows, p, { merges: samePortMerges('ports') }) + more;
}

/**
 * Port columns that read the same in every row, shown once: the port a
 * proxy connected from is the port the origin saw (one socket, both ends),
 * and with no proxy the origin sees the client's own ports.
 */
export function samePortMerges(ports: 'port' | 'ports'): Merge[] {
  return [
    {
      a: `upstream ${ports}`,
      b: `origin ${ports}`,
      head: `upstream = origin ${ports}`,
      note: "one socket, seen from both ends (the proxy's and the origin's)",
    },
    {
      a: 'client port',
      b: `origin ${ports}`,
      head: 'client port = origin port', // one origin port per client port, or the two would differ
      note: "no proxy in between, so the origin saw the client's own sockets",
    },
  ];
}

/**
 * With a chain of proxies, the hops whose upstream ports get a column of
 * their own: all but the last, whose upstream port is the origin's column.
 * Empty for no proxy or one (the `upstream ports` column).
 */
export function hopsBeforeLast(requests: RequestRecord[]): string[] {
  const hops = requests.find((r) => (r.hops?.length ?? 0) > 1)?.hops ?? [];
  return hops.slice(0, -1).map((h, i) => `${i + 1}:${h.kind}`);
}

/** Distinct values in order of first appearance, shortened when long. */
function distinct(values: string[]): string {
  const seen = [...new Set(values)];
  return seen.length > MAX_VALUES ? `${seen.slice(0, MAX_VALUES - 1).join(' ')} … (${seen.length})` : seen.join(' ');
}

/** `1–4` for a connection's nth values; each value when they are few and not a run. */
function range(values: (number | null)[]): string {
  const known = values.filter((v): v is number => v !== null);
  if (known.length === 0) return '–';
  const seen = [...new Set(known)];
  const min = Math.min(...seen);
  const max = Math.max(...seen);
  if (seen.length === 1) return String(min);
  return seen.length === max - min + 1 ? `${min}–${max}` : distinct(seen.map(String));
}

function summarise(values: string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].map(([v, n]) => (n > 1 ? `${v}×${n}` : v)).join(' ');
}
