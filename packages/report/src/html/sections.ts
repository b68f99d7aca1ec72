import type { Comparison, ComparedMetric } from '../model/comparison.js';
import { metricsWithDerived, KEY_METRICS } from '../model/comparison.js';
import type { ResultView } from '../model/views.js';
import type { ChartData } from './chart-data.js';
import { escapeHtml as h, markdownToHtml } from './markdown.js';

const OPS: Record<string, string> = { equals: '=', atLeast: '≥', atMost: '≤' };
const isTime = (m: string) => m.startsWith('latency.') || m === 'duration';
const fmt = (metric: string, v: number | null | undefined): string => {
  if (v === null || v === undefined) return '–';
  if (!isTime(metric)) return String(v);
  return v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(v < 10 ? 1 : 0)} ms`;
};

/** Rows of the waterfall canvas box: tall enough for every row to keep its own line. */
const waterfallHeight = (rows: number) => Math.max(160, Math.min(2400, 60 + rows * 16));

export function resultSection(v: ResultView, id: string, chart: ChartData | undefined): string {
  const rows = chart?.rows.length ?? 0;
  const checks = v.expectations
    .map(
      (e) =>
        `<tr class="${e.pass ? 'pass' : 'fail'}"><td>${e.pass ? '✓' : '✗'}</td><td>${h(e.metric)}</td><td>${OPS[e.op] ?? h(e.op)} ${fmt(e.metric, e.expected)}${
          e.formula ? ` <span class="dim">(${h(e.formula)})</span>` : ''
        }</td><td>${e.actual === null ? 'missing' : fmt(e.metric, e.actual)}</td><td class="dim">${h(e.why ?? '')}</td></tr>`,
    )
    .join('');
  const metrics = metricsWithDerived(v);
  const keys = [
    ...KEY_METRICS.filter((k) => k in metrics),
    ...Object.keys(metrics)
      .filter((k) => !KEY_METRICS.includes(k))
      .sort(),
  ];
  const metricRows = keys.map((k) => `<tr><td>${h(k)}</td><td class="num">${fmt(k, metrics[k])}</td></tr>`).join('');
  const verdictText =
    v.verdict === 'reproduced'
      ? `✓ reproduced (${v.expectations.length} checks hold)`
      : `✗ not reproduced (${v.expectations.filter((e) => !e.pass).length} of ${v.expectations.length} checks failed)`;
  return `<section class="result" id="${id}" data-label="${h(v.label)}">
<h2>${h(v.label)} <span class="dim">— ${h(v.title)}</span></h2>
<p class="verdict-line ${v.verdict}">${verdictText}</p>
<p class="dim small">Run ${h(v.startedAt)}${v.file ? ` · ${h(v.file)}` : ''}</p>
<div class="grid">
<div class="panel wide"><h3>Waterfall: one row per ${chart?.aggregated ? 'lane' : 'client connection'}; a bar is a request on it, its colour the origin connection that served it; grey: queued in the client's pool; ▼ the origin closed an idle connection</h3>
<div class="chart-box" style="height:${waterfallHeight(rows)}px"><canvas data-chart="waterfall" data-view="${id}" data-rows="${rows}" data-connections="${chart?.connections ?? 0}"></canvas></div>
${chart?.aggregated ? `<p class="note">${h(chart.aggregated)}</p>` : ''}</div>
<div class="panel"><h3>Client port → origin port</h3><div class="chart-box" style="height:280px"><canvas data-chart="ports" data-view="${id}"></canvas></div>
<p class="note">Each dot is a (client port, origin port) pair, its size the requests that used it; ports in order of first use. A diagonal is 1:1 (each client connection is one origin connection); a column of dots is one client connection that reached the origin on several connections.</p></div>
<div class="panel"><h3>Checks</h3><table class="checks"><thead><tr><th></th><th>metric</th><th>expected</th><th>actual</th><th>why</th></tr></thead><tbody>${checks || '<tr><td colspan="5" class="dim">no checks</td></tr>'}</tbody></table></div>
<div class="panel"><h3>Metrics</h3><table class="metrics"><tbody>${metricRows}</tbody></table></div>
<div class="panel story"><h3>The story</h3>${markdownToHtml(v.story)}</div>
</div>
</section>`;
}

const cell = (m: ComparedMetric, v: number | null) => `<td class="num">${fmt(m.metric, v)}</td>`;

export function comparisonSection(cmp: Comparison): string {
  const head = cmp.columns.map((c) => `<th>${h(c.label)}<br><span class="verdict ${c.verdict}">${c.verdict}</span></th>`).join('');
  const rows = cmp.metrics
    .map(
      (m) =>
        `<tr class="${m.differs && m.key ? 'differs' : m.differs ? '' : 'same'}"><td>${m.differs && m.key ? '◆' : ''}</td><td>${h(m.metric)}</td>${m.values.map((v) => cell(m, v)).join('')}</tr>`,
    )
    .join('');
  const distinct = cmp.chains
    .map(
      (c) =>
        `<tr><td>${h(c.label)}</td><td class="num">${c.distinct.client}</td><td class="num">${c.hasUpstream ? c.distinct.upstream : '–'}</td><td class="num">${c.distinct.origin}</td><td class="num">${c.chains.length}</td></tr>`,
    )
    .join('');
  const n = Math.min(20, Math.max(...cmp.chains.map((c) => c.chains.length)));
  const chainRows: string[] = [];
  for (let i = 0; i < n; i++) {
    const tds = cmp.chains.map((c) => {
      const ch = c.chains[i];
      if (!ch) return '<td></td>';
      const hops = c.hasUpstream ? [ch.client, ch.upstream, ch.origin] : [ch.client, ch.origin];
      return `<td class="mono">${hops.map((p) => (p === null ? '–' : String(p))).join(' → ')}</td>`;
    });
    chainRows.push(`<tr><td>${i + 1}</td>${tds.join('')}</tr>`);
  }
  return `<section class="comparison" id="comparison">
<h2>Comparison</h2>
<div class="grid">
<div class="panel"><h3>Distinct ports per hop</h3><table class="metrics"><thead><tr><th>result</th><th>client</th><th>upstream</th><th>origin</th><th>requests</th></tr></thead><tbody>${distinct}</tbody></table>
<div class="chart-box" style="height:240px"><canvas data-chart="compare-ports"></canvas></div></div>
<div class="panel"><h3>Metrics side by side <span class="dim">(◆ differs enough to matter)</span></h3><table class="metrics compare"><thead><tr><th></th><th>metric</th>${head}</tr></thead><tbody>${rows}</tbody></table></div>
<div class="panel wide"><h3>Port chains, request by request (client → ${cmp.chains.some((c) => c.hasUpstream) ? 'upstream → ' : ''}origin)${n < Math.max(...cmp.chains.map((c) => c.chains.length)) ? ` <span class="dim">first ${n}</span>` : ''}</h3>
<table class="chains"><thead><tr><th>#</th>${cmp.columns.map((c) => `<th>${h(c.label)}</th>`).join('')}</tr></thead><tbody>${chainRows.join('')}</tbody></table></div>
</div>
</section>`;
}
