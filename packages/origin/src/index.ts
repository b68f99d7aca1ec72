export { Origin, createOrigin } from './origin.js';
export {
  ORIGIN_DEFAULTS,
  ORIGIN_PROTOCOLS,
  ORIGIN_ENGINES,
  DEFAULT_BODY,
  H2C_REFUSED_WHY,
  FAST_REFUSED_WHY,
  h2cConflicts,
  fastConflicts,
  type OriginEngine,
  type OriginOptions,
  type OriginFaults,
  type OriginProtocol,
  type ResolvedOriginOptions,
} from './options.js';
export type { OriginCounters } from './context.js';
export type { FaultName } from './faults/index.js';
