import type { LabEvent, RequestRecord } from '@keepalive-lab/core';
import type { RunEnv } from './env.js';
import type { ExpectationResult } from './expectations.js';
import type { Metrics } from './metrics.js';
import type { Scenario } from './schema.js';
import type { PeerRecord } from './topology.js';

export const RESULT_SCHEMA = 'keepalive-lab/result@1';

export type Verdict = 'reproduced' | 'not-reproduced';

/** One variant's share of a result, when the scenario has variants. */
export interface VariantOutcome {
  name: string;
  title: string | null;
  scenario: Scenario;
  durationMs: number;
  metrics: Metrics;
  expectations: ExpectationResult[];
  verdict: Verdict;
  /** This variant's proxies: a real peer's version, config and log. */
  peers?: PeerRecord[];
}

/**
 * A result file (docs/reference.md). For a scenario with variants, `requests` and
 * `events` hold every variant's, each tagged with `variant`; `metrics` keys
 * are `<variant>:<metric>`; `variants` has each one's own figures.
 */
export interface ResultDocument {
  schema: typeof RESULT_SCHEMA;
  scenario: Scenario;
  /** The file it was read from, and the --set overrides given. */
  source: { file: string; overrides: string[] };
  env: RunEnv;
  startedAt: string;
  durationMs: number;
  requests: (RequestRecord & { variant?: string })[];
  events: (LabEvent & { variant?: string })[];
  metrics: Metrics;
  expectations: ExpectationResult[];
  verdict: Verdict;
  variants?: VariantOutcome[];
  /** The run's proxies (of the first variant, for a scenario with variants): version, config, log. */
  peers?: PeerRecord[];
}
