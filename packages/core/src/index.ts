export { ERROR_CODES, LabError, isLabError, type LabErrorCode, type LabErrorDetails } from './errors.js';
export { closeReason, RESET_CODES, type CloseFacts } from './close-reason.js';
export { ok, fail, type Result } from './result.js';
export { parseDuration, formatDuration } from './duration.js';
export { parseEndpoint, parseEndpoints, formatEndpoint, type Endpoint } from './endpoint.js';
export { Recorder, type EventListener } from './recorder.js';
export { ServerBase, listenOn, type LabServer, type ServerBaseOptions } from './server-base.js';
export { LAB_HEADERS, type ClientRecord, type HopRecord, type RequestRecord } from './records.js';
export type * from './events.js';
export { durationField, countField } from './schema-fields.js';
export { percentile } from './stats.js';
export {
  loadLlhttp,
  strictParser,
  consumeSocket,
  releaseSocket,
  pauseReading,
  resumeReading,
  type Llhttp,
  type LlhttpUser,
  type HttpParser,
  type HttpParserClass,
  type ParseError,
  type OnHeadersComplete,
} from './llhttp.js';
