import { metricsWithDerived, KEY_METRICS } from '../model/comparison.js';
import type { ResultView } from '../model/views.js';
import type { ChartData } from './chart-data.js';
import { fmt } from './format.js';
import { breakable, escapeHtml as h, markdownToHtml } from './markdown.js';
import { waterfallLegend, wavesText } from './waterfall-legend.js';

const OPS: Record<string, string> = { equals: '=', atLeast: '≥', atMost: '≤' };

const PORTS_NOTE =
  'Each dot is a (client port, origin port) pair, its size the requests that used it; ports in order of first use. ' +
  'A diagonal is 1:1 (each client connection is one origin connection); ' +
  'a column of dots is one client connection that reached the origin on several connections.';

/** Rows of the waterfall canvas box: tall enough for every row to keep its own line. */
const waterfallHeight = (rows: number) => Math.max(160, Math.min(2400, 60 + rows * 16));

/**
 * One result: the verdict, the story, then the evidence (the waterfall with
 * its legend and waves line, the checks, the port chart and the metrics).
 */
export function resultSection(v: ResultView, id: string, chart: ChartData | undefined): string {
  const verdictText =
    v.verdict === 'reproduced'
      ? `✓ reproduced (${v.expectations.length} checks hold)`
      : `✗ not reproduced (${v.expectations.filter((e) => !e.pass).length} of ${v.expectations.length} checks failed)`;
  return `<section class="result" id="${id}" data-label="${h(v.label)}">
<h2>${h(v.label)} <span class="dim">— ${h(v.title)}</span></h2>
<p class="verdict-line ${v.verdict}">${verdictText}</p>
<p class="dim small">Run ${h(v.startedAt)}${v.file ? ` · ${h(v.file)}` : ''}</p>
<div class="grid">
<div class="panel wide story"><h3>The story</h3>${markdownToHtml(v.story)}</div>
${waterfallPanel(v, id, chart)}
<div class="panel wide"><h3>Checks</h3>${checksTable(v)}</div>
<div class="panel"><h3>Client port → origin port</h3>
<div class="chart-box" style="height:280px"><canvas data-chart="ports" data-view="${id}" role="img" aria-label="ports of ${h(v.label)}"></canvas></div>
<p class="note">${PORTS_NOTE}</p></div>
<div class="panel"><h3>Metrics</h3>${metricsTable(v)}</div>
</div>
</section>`;
}

/** The waterfall with what explains it: the legend above, the waves line and how rows were formed below. */
function waterfallPanel(v: ResultView, id: string, chart: ChartData | undefined): string {
  const rows = chart?.rows.length ?? 0;
  const data = `data-chart="waterfall" data-view="${id}" data-rows="${rows}" data-connections="${chart?.connections ?? 0}"`;
  const canvas = `<canvas ${data} role="img" aria-label="waterfall of ${h(v.label)}"></canvas>`;
  return `<div class="panel wide"><h3>Waterfall: one row per ${chart?.aggregated ? 'lane of client connections' : 'client connection'}</h3>
${chart ? waterfallLegend(chart) : ''}
<div class="chart-box" style="height:${waterfallHeight(rows)}px">${canvas}</div>
${chart && chart.waves.length > 0 ? `<p class="waves">${h(wavesText(chart))}</p>` : ''}
${chart?.aggregated ? `<p class="note">${h(chart.aggregated)}</p>` : ''}</div>`;
}

function checksTable(v: ResultView): string {
  const rows = v.expectations
    .map((e) => {
      const expected = `${OPS[e.op] ?? h(e.op)} ${fmt(e.metric, e.expected)}${e.formula ? ` <span class="dim">(${h(e.formula)})</span>` : ''}`;
      const actual = e.actual === null ? 'missing' : fmt(e.metric, e.actual);
      const cells = [e.pass ? '✓' : '✗', breakable(e.metric), expected, actual].map((c) => `<td>${c}</td>`).join('');
      return `<tr class="${e.pass ? 'pass' : 'fail'}">${cells}<td class="dim">${h(e.why ?? '')}</td></tr>`;
    })
    .join('');
  return `<table class="checks"><thead><tr><th></th><th>metric</th><th>expected</th><th>actual</th><th>why</th></tr></thead><tbody>${
    rows || '<tr><td colspan="5" class="dim">no checks</td></tr>'
  }</tbody></table>`;
}

function metricsTable(v: ResultView): string {
  const metrics = metricsWithDerived(v);
  const keys = [
    ...KEY_METRICS.filter((k) => k in metrics),
    ...Object.keys(metrics)
      .filter((k) => !KEY_METRICS.includes(k))
      .sort(),
  ];
  const rows = keys.map((k) => `<tr><td>${breakable(k)}</td><td class="num">${fmt(k, metrics[k])}</td></tr>`);
  return `<table class="metrics"><tbody>${rows.join('')}</tbody></table>`;
}
