export { renderResult, renderRunHeader, verdictLine } from './terminal/render-result.js';
export { renderPortTable } from './terminal/port-table.js';
export { renderRequestTable } from './terminal/request-table.js';
export { renderTimeline, type TimelineRows, type TimelineOptions } from './terminal/timeline.js';
export { timelineRowsOption } from './terminal/timeline-option.js';
export { renderChecks, renderMetrics, type CheckRow } from './terminal/checks.js';
export { renderComparison } from './terminal/compare.js';
export { painter, type RenderOptions, type Painter } from './terminal/style.js';
export { viewsOf, pickVariant, splitVariantRef, type ResultView } from './model/views.js';
export { readResult, loadViews, savedScenarioNames, MATRIX_FOLDER, type LoadedResult } from './model/load-views.js';
export {
  compareViews,
  metricsWithDerived,
  KEY_METRICS,
  type Comparison,
  type ComparedColumn,
  type ComparedMetric,
  type ChainColumn,
  type PortChain,
  type MetricKind,
} from './model/comparison.js';
export { buildReport, type ReportOptions } from './html/report-html.js';
export { renderLoadSummary, errorList } from './terminal/load-summary.js';
export { renderMatrix } from './matrix/terminal-matrix.js';
export { matrixMarkdown } from './matrix/markdown-matrix.js';
export { cellText } from './matrix/cell-text.js';
export { isAboutTimeouts, renderIdleTimeouts } from './terminal/idle-timeouts.js';
export { terminalWidth, DEFAULT_WIDTH, WIDE_HELP } from './terminal/width.js';
export { fitTable, type Column, type Merge, type Row } from './terminal/fit-table.js';
export { wrapText, visibleWidth } from './terminal/wrap.js';
export { LiveModel } from './live/live-model.js';
export { livePage, type LivePage } from './live/live-page.js';
export type { WireSnapshot, WireDelta, WireLane, WireBar, WireCounters, WireRun, WireReplay, Phase } from './live/live-wire.js';
export { replayTimeline, type ReplayItem } from './live/replay-timeline.js';
