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
export { ResponseParser, NEED_MORE, PARSE_ERROR } from './response-parser.js';
