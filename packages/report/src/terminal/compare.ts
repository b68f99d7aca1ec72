import type { ChainColumn, Comparison, ComparedMetric } from '../model/comparison.js';
import { fitTable, type Column } from './fit-table.js';
import { cell, ms, painter, type Painter, type RenderOptions } from './style.js';
import { wrapText } from './wrap.js';

/**
 * `lab compare`: who is who, the distinct ports per hop in one line each
 * ("5 → 20 → 20" against "5 → 5 → 5"), the metrics side by side with the
 * differences that matter marked ◆, and the per-request port chains aligned.
 */
export function renderComparison(cmp: Comparison, o: RenderOptions, maxChainRows = 20): string {
  const p = painter(o);
  const prose = (s: string) => wrapText(s, p.width, '    ').join('\n'); // tables fit themselves
  const out: string[] = [p.c.bold(`Comparing ${cmp.columns.length} results`)];
  const w = Math.max(...cmp.columns.map((c) => c.label.length));
  cmp.columns.forEach((c, i) => {
    const verdict = c.verdict === 'reproduced' ? p.c.green('✓ reproduced') : p.c.red('✗ not reproduced');
    out.push(prose(`  ${letter(i)} ${c.label.padEnd(w)}  ${verdict}  ${p.c.dim(`${c.startedAt}  ${c.title}`)}`));
  });
  out.push('', p.c.bold('Distinct ports per hop (client → upstream → origin)'));
  for (const c of cmp.chains) out.push(prose(`  ${c.label.padEnd(w)}  ${distinctLine(c, p)}`));
  out.push('', prose(p.c.bold('Metrics') + p.c.dim('  (◆ differs enough to matter; key figures first)')), renderMetricTable(cmp, p));
  out.push(
    '',
    prose(p.c.bold('Port chains per request, in order of start') + p.c.dim('  (+ a port this column had not seen: a new connection)')),
  );
  out.push(renderChains(cmp.chains, p, maxChainRows));
  return `${out.join('\n')}\n`;
}

const letter = (i: number) => String.fromCharCode(65 + i);

function distinctLine(c: ChainColumn, p: Painter): string {
  const hops = c.hasUpstream ? [c.distinct.client, c.distinct.upstream, c.distinct.origin] : [c.distinct.client, null, c.distinct.origin];
  return hops.map((n) => (n === null ? p.c.dim('–') : p.c.bold(String(n)))).join(' → ') + p.c.dim(`  (${c.chains.length} requests)`);
}

function renderMetricTable(cmp: Comparison, p: Painter): string {
  const columns: Column[] = [{ head: '' }, { head: 'metric' }, ...cmp.columns.map((_, i) => ({ head: letter(i) }))];
  const rows = cmp.metrics.map((m) => {
    const mark = m.differs && m.key ? '◆' : '';
    const paint = (s: string) => (m.differs && m.key ? p.c.yellow.bold(s) : m.differs ? s : p.c.dim(s));
    return [p.c.yellow(mark), paint(m.metric), ...m.values.map((v) => paint(format(m, v)))];
  });
  return fitTable(columns, rows, p);
}

function format(m: ComparedMetric, v: number | null): string {
  if (v === null) return '–';
  return m.kind === 'time' ? ms(v) : String(v);
}

function renderChains(cols: ChainColumn[], p: Painter, maxRows: number): string {
  const n = Math.max(...cols.map((c) => c.chains.length));
  const seen = cols.map(() => new Set<number>());
  const rows: string[][] = [];
  for (let i = 0; i < n; i++) {
    rows.push(
      cols.map((c, j) => {
        const ch = c.chains[i];
        if (!ch) return '';
        const fresh = ch.origin !== null && !seen[j]?.has(ch.origin);
        if (ch.origin !== null) seen[j]?.add(ch.origin);
        const hops = c.hasUpstream ? [ch.client, ch.upstream, ch.origin] : [ch.client, ch.origin];
        return `${hops.map(cell).join(' → ')}${fresh ? '+' : ' '}`;
      }),
    );
  }
  const keep =
    n > maxRows
      ? [...rows.slice(0, maxRows - 4).map((r, i) => ({ r, i })), null, ...rows.slice(n - 3).map((r, k) => ({ r, i: n - 3 + k }))]
      : rows.map((r, i) => ({ r, i }));
  const columns: Column[] = [{ head: '#' }, ...cols.map((c) => ({ head: c.label }))];
  return fitTable(
    columns,
    keep.map((row) => (row === null ? { across: p.c.dim(`… ${n - (maxRows - 1)} more requests`) } : [String(row.i + 1), ...row.r])),
    p,
  );
}
