import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResultView } from '../model/views.js';
import { compareViews } from '../model/comparison.js';
import { chartData, type ChartData } from './chart-data.js';
import { resultSection } from './sections.js';
import { comparisonSection } from './comparison-section.js';
import { escapeHtml } from './markdown.js';
import type { MatrixDocument } from '@keepalive-lab/scenarios';
import { matrixSection } from '../matrix/html-matrix.js';
import { FAILURE_KINDS } from '@keepalive-lab/scenarios';
import { CONNECTION_COLOURS, FAILURE_STYLE, MARK_COLOUR, QUEUED_COLOUR, UNKNOWN_CONNECTION_COLOUR } from './palette.js';

export interface ReportOptions {
  /** Shown in the page header; a fixed value keeps test output stable. */
  generatedAt?: string;
  /** A saved `lab matrix`, shown first. */
  matrix?: MatrixDocument | null;
}

/** What the page script reads: one entry per view, in page order, and the colours the legends show. */
export interface PageData {
  views: { id: string; label: string; chart: ChartData }[];
  comparison: { labels: string[]; client: number[]; upstream: number[]; origin: number[] } | null;
  palette: { connections: readonly string[]; unknown: string; failures: string[]; failureLabels: string[]; queued: string; mark: string };
}

const PALETTE: PageData['palette'] = {
  connections: CONNECTION_COLOURS,
  unknown: UNKNOWN_CONNECTION_COLOUR,
  // Indexed as ChartData.f indexes FAILURE_KINDS.
  failures: FAILURE_KINDS.map((k) => FAILURE_STYLE[k].colour),
  failureLabels: FAILURE_KINDS.map((k) => FAILURE_STYLE[k].label),
  queued: QUEUED_COLOUR,
  mark: MARK_COLOUR,
};

const here = dirname(fileURLToPath(import.meta.url));
let assets: { chartJs: string; script: string; css: string } | null = null;

/**
 * Read once per process: Chart.js's UMD build (inlined, so the page needs no
 * network), the page script and the stylesheet.
 */
function loadAssets(): { chartJs: string; script: string; css: string } {
  if (assets) return assets;
  const chartDir = dirname(createRequire(import.meta.url).resolve('chart.js'));
  const chartJs = readFileSync(join(chartDir, 'chart.umd.min.js'), 'utf8').replace(/\/\/# sourceMappingURL=.*$/m, '');
  assets = {
    chartJs,
    script: readFileSync(join(here, 'assets', 'report-page.js'), 'utf8'),
    css: readFileSync(join(here, 'assets', 'report.css'), 'utf8'),
  };
  return assets;
}

/** `</script>` inside inlined text would end the element early. */
const inlineScript = (s: string) => s.replace(/<\/script/gi, '<\\/script');
/** JSON inside a script element: `<` escaped so no string in a result can close it. */
const inlineJson = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');

/**
 * One self-contained HTML page: a comparison first when there are several
 * views, then per view the verdict, the story, a waterfall, the checks, the
 * port chart and the metrics, in the order given. Scripts and styles are
 * inline; nothing is fetched; every chart is drawn at load.
 */
export function buildReport(views: ResultView[], o: ReportOptions = {}): string {
  const a = loadAssets();
  const ids = views.map((_, i) => `r${i + 1}`);
  const data: PageData = {
    views: views.map((v, i) => ({ id: ids[i] ?? '', label: v.label, chart: chartData(v) })),
    comparison: null,
    palette: PALETTE,
  };
  let comparison = '';
  if (views.length > 1) {
    const cmp = compareViews(views);
    data.comparison = {
      labels: cmp.chains.map((c) => c.label),
      client: cmp.chains.map((c) => c.distinct.client),
      upstream: cmp.chains.map((c) => c.distinct.upstream),
      origin: cmp.chains.map((c) => c.distinct.origin),
    };
    comparison = comparisonSection(cmp);
  }
  const toc = views
    .map((v, i) => `<li><a href="#${ids[i]}">${escapeHtml(v.label)}</a> <span class="verdict ${v.verdict}">${v.verdict}</span></li>`)
    .join('');
  const title =
    views.length === 1
      ? `keepalive-lab: ${views[0]?.label ?? ''}`
      : views.length === 0 && o.matrix
        ? 'keepalive-lab: behaviours × proxies'
        : `keepalive-lab: ${views.length} results`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${a.css}</style>
</head>
<body>
<header><h1>${escapeHtml(title)}</h1>
<p class="dim">Generated ${escapeHtml(o.generatedAt ?? new Date().toISOString())} from saved results; nothing was rerun.</p>
<ul class="toc">${toc}</ul></header>
${o.matrix ? matrixSection(o.matrix) : ''}
${comparison}
${views.map((v, i) => resultSection(v, ids[i] ?? '', data.views[i]?.chart)).join('\n')}
<script type="application/json" id="lab-data">${inlineJson(data)}</script>
<script>${inlineScript(a.chartJs)}</script>
<script>${inlineScript(a.script)}</script>
</body>
</html>
`;
}
