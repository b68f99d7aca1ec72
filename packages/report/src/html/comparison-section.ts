import type { Comparison, ComparedMetric } from '../model/comparison.js';
import { columnGroups, groupCaption } from './column-groups.js';
import { fmt } from './format.js';
import { breakable, escapeHtml as h } from './markdown.js';

/** Port chains shown per result: enough to see the pattern. */
const CHAIN_ROWS = 20;

const cell = (m: ComparedMetric, v: number | null | undefined) => `<td class="num">${fmt(m.metric, v ?? null)}</td>`;

export function comparisonSection(cmp: Comparison): string {
  const groups = columnGroups(cmp.columns.length);
  const n = cmp.columns.length;
  const metricTables = groups.map((g) => {
    const head = g
      .map((i) => cmp.columns[i])
      .map((c) => (c ? `<th>${breakable(c.label)}<br><span class="verdict ${c.verdict}">${c.verdict}</span></th>` : ''))
      .join('');
    const rows = cmp.metrics
      .map((m) => {
        const cls = m.differs && m.key ? 'differs' : m.differs ? '' : 'same';
        return `<tr class="${cls}"><td>${m.differs && m.key ? '◆' : ''}</td><td>${breakable(m.metric)}</td>${g.map((i) => cell(m, m.values[i])).join('')}</tr>`;
      })
      .join('');
    const caption = groupCaption(g, n, 'results');
    return `<table class="metrics compare">${caption}<thead><tr><th></th><th>metric</th>${head}</tr></thead><tbody>${rows}</tbody></table>`;
  });
  const distinct = cmp.chains
    .map(
      (c) =>
        `<tr><td>${h(c.label)}</td><td class="num">${c.distinct.client}</td><td class="num">${c.hasUpstream ? c.distinct.upstream : '–'}</td>` +
        `<td class="num">${c.distinct.origin}</td><td class="num">${c.chains.length}</td></tr>`,
    )
    .join('');
  const longest = Math.max(...cmp.chains.map((c) => c.chains.length));
  const rowsShown = Math.min(CHAIN_ROWS, longest);
  const chainTables = groups.map((g) => {
    const rows: string[] = [];
    for (let r = 0; r < rowsShown; r++) {
      const tds = g.map((i) => {
        const c = cmp.chains[i];
        const ch = c?.chains[r];
        if (!c || !ch) return '<td></td>';
        const hops = c.hasUpstream ? [ch.client, ch.upstream, ch.origin] : [ch.client, ch.origin];
        return `<td class="mono">${hops.map((p) => (p === null ? '–' : String(p))).join(' → ')}</td>`;
      });
      rows.push(`<tr><td>${r + 1}</td>${tds.join('')}</tr>`);
    }
    const head = g.map((i) => `<th>${breakable(cmp.columns[i]?.label ?? '')}</th>`).join('');
    return `<table class="chains">${groupCaption(g, n, 'results')}<thead><tr><th>#</th>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
  });
  const hops = `client → ${cmp.chains.some((c) => c.hasUpstream) ? 'upstream → ' : ''}origin`;
  return `<section class="comparison" id="comparison">
<h2>Comparison</h2>
<div class="grid">
<div class="panel"><h3>Distinct ports per hop</h3>
<table class="metrics distinct"><thead><tr><th>result</th><th>client</th><th>upstream</th><th>origin</th><th>requests</th></tr></thead>
<tbody>${distinct}</tbody></table></div>
<div class="panel"><h3>Distinct ports per hop, drawn</h3>
<div class="chart-box" style="height:240px"><canvas data-chart="compare-ports" role="img" aria-label="distinct ports per hop"></canvas></div></div>
<div class="panel wide"><h3>Metrics side by side <span class="dim">(◆ differs enough to matter)</span></h3>${metricTables.join('\n')}</div>
<div class="panel wide"><h3>Port chains, request by request (${hops})${rowsShown < longest ? ` <span class="dim">first ${rowsShown}</span>` : ''}</h3>
${chainTables.join('\n')}</div>
</div>
</section>`;
}
