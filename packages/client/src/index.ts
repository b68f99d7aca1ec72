export { runLoad } from './run-load.js';
export {
  resolveLoadOptions,
  plannedGaps,
  DEFAULT_BODY,
  LOAD_DEFAULTS,
  type LoadOptions,
  type LoadResult,
  type LoadEngine,
} from './load-options.js';
export { parseHeaderLine, type HeaderValues } from './request-headers.js';
export { LOAD_METRICS, loadMetrics } from './load-metrics.js';
export { ResponseParser, NEED_MORE, PARSE_ERROR } from './response-parser.js';
