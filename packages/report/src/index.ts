export { renderResult, verdictLine } from './terminal/render-result.js';
export { renderPortTable } from './terminal/port-table.js';
export { renderRequestTable } from './terminal/request-table.js';
export { renderTimeline, type TimelineRows } from './terminal/timeline.js';
export { renderChecks, renderMetrics, type CheckRow } from './terminal/checks.js';
export { painter, type RenderOptions, type Painter } from './terminal/style.js';
