import type { RequestRecord } from '@keepalive-lab/core';
import { cell, ms, table, type Painter } from './style.js';

/**
 * The port-reuse table: one row per client port, with what each hop saw.
 * "5 ports vs 20 ports" should be visible at a glance.
 */
export function renderPortTable(requests: RequestRecord[], p: Painter): string {
  const byPort = new Map<string, RequestRecord[]>();
  for (const r of requests) {
    const key = r.clientPort === null ? '–' : String(r.clientPort);
    const list = byPort.get(key);
    if (list) list.push(r);
    else byPort.set(key, [r]);
  }
  const hasUpstream = requests.some((r) => r.upstreamPort !== null);
  const head = ['client port', 'requests', ...(hasUpstream ? ['upstream ports'] : []), 'origin ports', 'nth on conn', 'status', 'done at'];
  const t = table(head.map((h) => p.c.bold(h)));
  for (const [port, rs] of byPort) {
    const statuses = summarise(rs.map((r) => (r.status !== null ? String(r.status) : (r.error ?? '–'))));
    const bad = rs.some((r) => r.status === null || r.status >= 400);
    const ends = rs.map((r) => r.end).filter((e): e is number => e !== null);
    t.push([
      port,
      String(rs.length),
      ...(hasUpstream ? [list(rs.map((r) => r.upstreamPort))] : []),
      list(rs.map((r) => r.originPort)),
      list(rs.map((r) => r.nthOnConn)),
      bad ? p.c.red(statuses) : p.c.green(statuses),
      ends.length > 0 ? ends.map((e) => ms(e)).join(' ') : '–',
    ]);
  }
  return t.toString();
}

/** Distinct values in order of first appearance, shortened when long. */
function list(values: (number | null)[]): string {
  const seen: string[] = [];
  for (const v of values) {
    const s = cell(v);
    if (!seen.includes(s)) seen.push(s);
  }
  return seen.length > 6 ? `${seen.slice(0, 5).join(' ')} … (${seen.length})` : seen.join(' ');
}

function summarise(values: string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].map(([v, n]) => (n > 1 ? `${v}×${n}` : v)).join(' ');
}
