import type { Expectation, Scenario } from './schema.js';
import { resolveExpected } from './expected-value.js';
import type { Metrics } from './metrics.js';
import { whyUnobservable } from './observability.js';

export type ExpectOp = 'equals' | 'atLeast' | 'atMost';

export interface ExpectationResult {
  metric: string;
  op: ExpectOp;
  expected: number;
  /** null when the run produced no such metric: that fails, it is never assumed. */
  actual: number | null;
  pass: boolean;
  why?: string;
  /** The bound as written, when it was a formula (`client.requests / client.maxSockets`). */
  formula?: string;
  /** The variant this check belongs to, when the scenario has variants. */
  variant?: string;
  /** Why the run could not observe the metric (`actual` is null, shown as n/a): the check is skipped, not failed. */
  skipped?: string;
}

/** Checks each expectation; bounds that name scenario fields are read from `scenario`. */
export function checkExpectations(expect: Expectation[], metrics: Metrics, scenario: Scenario): ExpectationResult[] {
  const out: ExpectationResult[] = [];
  for (const e of expect) {
    // An error counter that never fired is 0, not missing: the run produces errors.<CODE> only for codes that occurred.
    const actual = metrics[e.metric] ?? (isErrorCounter(e.metric) ? 0 : null);
    const skipped = actual === null ? whyUnobservable(e.metric, scenario) : null;
    for (const op of ['equals', 'atLeast', 'atMost'] as const) {
      const bound = e[op];
      if (bound === undefined) continue;
      const r = resolveExpected(bound, scenario);
      // The loader refuses bounds that do not resolve, so this is NaN only for a hand-built scenario.
      const expected = 'value' in r ? r.value : Number.NaN;
      const pass =
        skipped !== null ||
        (actual !== null && (op === 'equals' ? actual === expected : op === 'atLeast' ? actual >= expected : actual <= expected));
      out.push({
        metric: e.metric,
        op,
        expected,
        actual,
        pass,
        ...(e.why ? { why: e.why } : {}),
        ...(typeof bound === 'string' && /[A-Za-z]{3}/.test(bound) ? { formula: bound } : {}),
        ...(skipped !== null ? { skipped } : {}),
      });
    }
  }
  return out;
}

/** Families whose metrics exist only for the codes that occurred (errors.HTTP_502, proxy.own.upstreamErrors.ECONNRESET). */
const isErrorCounter = (metric: string): boolean => /^([a-z0-9-]+:)?(errors|proxy\.own\.upstreamErrors)\.[A-Za-z0-9_]+$/.test(metric);
