import type { ExpectationResult } from '@keepalive-lab/scenarios';
import { ms, table, type Painter } from './style.js';

/** A checked expectation, as result files store it. */
export type CheckRow = ExpectationResult;

const OPS: Record<string, string> = { equals: '=', atLeast: '≥', atMost: '≤' };
const isTime = (metric: string) => metric.startsWith('latency.') || metric === 'duration';

export function renderChecks(rows: CheckRow[], p: Painter): string {
  const withVariant = rows.some((r) => r.variant !== undefined);
  const t = table([...(withVariant ? ['variant'] : []), 'metric', 'expected', 'actual', '', 'why'].map((h) => p.c.bold(h)));
  for (const r of rows) {
    const fmt = (v: number | null) => (v === null ? (r.skipped ? 'n/a' : 'missing') : isTime(r.metric) ? ms(v) : String(v));
    t.push([
      ...(withVariant ? [r.variant ?? ''] : []),
      r.metric,
      `${OPS[r.op] ?? r.op} ${fmt(r.expected)}${r.formula ? p.c.dim(` (${r.formula})`) : ''}`,
      fmt(r.actual),
      r.skipped ? p.c.dim('–') : r.pass ? p.c.green('✓') : p.c.red('✗'),
      p.c.dim(r.skipped ? `skipped: ${r.skipped}` : (r.why ?? '')),
    ]);
  }
  return t.toString();
}

export function renderMetrics(metrics: Record<string, number>, p: Painter): string {
  const keys = Object.keys(metrics);
  const cols = 3;
  const t = table([]);
  const rows = Math.ceil(keys.length / cols);
  for (let i = 0; i < rows; i++) {
    const row: string[] = [];
    for (let c = 0; c < cols; c++) {
      const k = keys[c * rows + i];
      row.push(k === undefined ? '' : `${p.c.dim(k)} ${isTime(k.replace(/^[^:]*:/, '')) ? ms(metrics[k]) : String(metrics[k])}`);
    }
    t.push(row);
  }
  return t.toString();
}
