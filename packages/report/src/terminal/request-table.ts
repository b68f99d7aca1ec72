import type { RequestRecord } from '@keepalive-lab/core';
import { fitTable, type Column, type Row } from './fit-table.js';
import { hopsBeforeLast, samePortMerges } from './port-table.js';
import { cell, ms, type Painter } from './style.js';

/**
 * The joined record per request (docs/reference.md), the heart of every table:
 * id · client port · upstream port · origin port · conn · nth · latency · status.
 * Long runs show the first and last rows only.
 */
export function renderRequestTable(requests: RequestRecord[], p: Painter, maxRows = 30): string {
  const chain = hopsBeforeLast(requests);
  const hasUpstream = chain.length === 0 && requests.some((r) => r.upstreamPort !== null);
  const multiOrigin = new Set(requests.map((r) => r.origin)).size > 1;
  const columns: Column[] = [
    { head: 'id' },
    { head: 'client port' },
    ...chain.map((kind) => ({ head: `${kind} upstream` })),
    ...(hasUpstream ? [{ head: 'upstream port' }] : []),
    { head: 'origin port' },
    ...(multiOrigin ? [{ head: 'origin' }] : []),
    { head: 'conn', drop: 2 },
    { head: 'nth', drop: 3 },
    { head: 'start', drop: 1 },
    { head: 'end', drop: 4 },
    { head: 'latency' },
    { head: 'status' },
  ];
  const ordered = [...requests].sort((a, b) => (a.end ?? Infinity) - (b.end ?? Infinity));
  const shown = ordered.length > maxRows ? [...ordered.slice(0, maxRows - 5), null, ...ordered.slice(-4)] : ordered;
  const rows: Row[] = shown.map((r) => {
    if (r === null) return { across: p.c.dim(`… ${ordered.length - (maxRows - 1)} more`) };
    const bad = r.status === null || r.status >= 400;
    return [
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
    ];
  });
  return fitTable(columns, rows, p, { merges: samePortMerges('port') });
}
