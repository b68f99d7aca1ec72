import type { ExpectationResult } from '@keepalive-lab/scenarios';
import { fitTable, naturalWidth, type Column, type Row } from './fit-table.js';
import { ms, type Painter } from './style.js';

/** A checked expectation, as result files store it. */
export type CheckRow = ExpectationResult;

const OPS: Record<string, string> = { equals: '=', atLeast: '≥', atMost: '≤' };
const isTime = (metric: string) => metric.startsWith('latency.') || metric === 'duration';

export function renderChecks(rows: CheckRow[], p: Painter): string {
  const withVariant = rows.some((r) => r.variant !== undefined);
  const columns: Column[] = [
    ...(withVariant ? [{ head: 'variant' }] : []),
    // A metric name is what the reader looks up: it wraps only when nothing else can.
    { head: 'metric', min: Math.max(0, ...rows.map((r) => r.metric.length)) },
    { head: 'expected' },
    { head: 'actual' },
    { head: '' },
    { head: 'why', drop: 1 },
  ];
  const cells: Row[] = rows.map((r) => {
    const fmt = (v: number | null) => (v === null ? (r.skipped ? 'n/a' : 'missing') : isTime(r.metric) ? ms(v) : String(v));
    return [
      ...(withVariant ? [r.variant ?? ''] : []),
      r.metric,
      `${OPS[r.op] ?? r.op} ${fmt(r.expected)}${r.formula ? p.c.dim(` (${r.formula})`) : ''}`,
      fmt(r.actual),
      r.skipped ? p.c.dim('–') : r.pass ? p.c.green('✓') : p.c.red('✗'),
      p.c.dim(r.skipped ? `skipped: ${r.skipped}` : (r.why ?? '')),
    ];
  });
  return fitTable(columns, cells, p);
}

/** Metrics in three columns, read down, or as few as the width holds. */
export function renderMetrics(metrics: Record<string, number>, p: Painter): string {
  const keys = Object.keys(metrics);
  const text = (k: string) => `${p.c.dim(k)} ${isTime(k.replace(/^[^:]*:/, '')) ? ms(metrics[k]) : String(metrics[k])}`;
  const layout = (cols: number): string[][] => {
    const n = Math.ceil(keys.length / cols);
    return Array.from({ length: n }, (_, i) =>
      Array.from({ length: cols }, (_, c) => keys[c * n + i]).map((k) => (k === undefined ? '' : text(k))),
    );
  };
  const cols = [3, 2].find((n) => naturalWidth(layout(n)) <= p.width) ?? 1;
  return fitTable(
    Array.from({ length: cols }, () => ({ head: '' })),
    layout(cols),
    p,
    { head: false },
  );
}
