export {
  scenarioSchema,
  chainOf,
  type Scenario,
  type OriginSpec,
  type ProxySpec,
  type ClientSpec,
  type Expectation,
  type VariantSpec,
  type Observation,
} from './schema.js';
export {
  BUILTIN_SCENARIO_DIR,
  findScenario,
  listScenarioFiles,
  loadScenario,
  scenarioRuns,
  type LoadedScenario,
  type ScenarioRun,
} from './loader.js';
export { parseOverride, applyOverride, type Override } from './overrides.js';
export { joinRecords } from './join.js';
export { computeMetrics, type Metrics, type MetricInput } from './metrics.js';
export { checkExpectations, type ExpectationResult, type ExpectOp } from './expectations.js';
export { resolveExpected } from './expected-value.js';
export { closest } from './validation-errors.js';
export {
  runScenario,
  TICK_MS,
  type RunOutcome,
  type RunEvent,
  type RunFollower,
  type RunOptions,
  type RunStart,
  type RunReady,
  type RunTick,
  type RunLabEvent,
  type RunRequestEnd,
  type RunEnd,
} from './runner.js';
export { runToDocument } from './run-document.js';
export { saveResult, loadResult, saveMatrix, loadMatrix } from './result-store.js';
export { RESULT_SCHEMA, type ResultDocument, type VariantOutcome, type Verdict } from './result-document.js';
export { runEnv, type RunEnv } from './env.js';
export { percentile, batchesOf } from './stats.js';
export { STORY_ORDER, inStoryOrder } from './story-order.js';
export { FAILURE_KINDS, failureKind, type FailureKind } from './metrics-ends.js';
export { NODE_IDLE_CLOSE_BUFFER_MS, waitingFor } from './waiting-for.js';
export { scenarioThrough } from './loader.js';
export {
  runMatrix,
  observedRuns,
  cellOf,
  failureNote,
  MATRIX_SCHEMA,
  type MatrixDocument,
  type MatrixRow,
  type MatrixCell,
  type MatrixKind,
  type MatrixRun,
  type MatrixProgress,
} from './matrix.js';
export { whyUnobservable } from './observability.js';
export { hopNames, type PeerRecord } from './topology.js';
export { METRICS, METRIC_NAMES, isKnownMetric, metricPattern, type MetricEntry } from './metric-catalogue.js';
export { kindsTable, metricsTable, withGeneratedSections } from './reference-tables.js';
export { idleChain, type IdleHop, type IdleLink } from './idle-chain.js';
export { raceDrops, raceMetrics, type RaceDrop } from './race.js';
