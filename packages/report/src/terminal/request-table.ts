import type { RequestRecord } from '@keepalive-lab/core';
import { hopsBeforeLast } from './port-table.js';
import { cell, ms, table, type Painter } from './style.js';

/**
 * The joined record per request, DESIGN.md's heart of every table:
 * id · client port · upstream port · origin port · conn · nth · latency · status.
 * Long runs show the first and last rows only.
 */
export function renderRequestTable(requests: RequestRecord[], p: Painter, maxRows = 30): string {
  const chain = hopsBeforeLast(requests);
  const hasUpstream = chain.length === 0 && requests.some((r) => r.upstreamPort !== null);
  const multiOrigin = new Set(requests.map((r) => r.origin)).size > 1;
  const head = [
    'id',
    'client port',
    ...chain.map((kind) => `${kind} upstream`),
    ...(hasUpstream ? ['upstream port'] : []),
    'origin port',
    ...(multiOrigin ? ['origin'] : []),
    'conn',
    'nth',
    'start',
    'end',
    'latency',
    'status',
  ];
  const t = table(head.map((h) => p.c.bold(h)));
  const ordered = [...requests].sort((a, b) => (a.end ?? Infinity) - (b.end ?? Infinity));
  const rows = ordered.length > maxRows ? [...ordered.slice(0, maxRows - 5), null, ...ordered.slice(-4)] : ordered;
  for (const r of rows) {
    if (r === null) {
      t.push([{ colSpan: head.length, content: p.c.dim(`… ${ordered.length - (maxRows - 1)} more`) }]);
      continue;
    }
    const bad = r.status === null || r.status >= 400;
    t.push([
      r.id,
      cell(r.clientPort),
      ...chain.map((_, i) => cell(r.hops?.[i]?.upstreamPort)),
      ...(hasUpstream ? [cell(r.upstreamPort)] : []),
      cell(r.originPort),
      ...(multiOrigin ? [cell(r.origin)] : []),
      cell(r.originConn),
      cell(r.nthOnConn),
      ms(r.start),
      ms(r.end),
      r.end === null ? '–' : ms(r.end - r.start),
      bad ? p.c.red(r.status ?? r.error ?? '–') : p.c.green(String(r.status)),
    ]);
  }
  return t.toString();
}
