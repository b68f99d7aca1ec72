export { Origin, createOrigin } from './origin.js';
export { ORIGIN_DEFAULTS, DEFAULT_BODY, type OriginOptions, type OriginFaults, type ResolvedOriginOptions } from './options.js';
export type { OriginCounters } from './context.js';
export type { FaultName } from './faults/index.js';
