import type { Expectation } from './schema.js';
import type { Metrics } from './metrics.js';

export type ExpectOp = 'equals' | 'atLeast' | 'atMost';

export interface ExpectationResult {
  metric: string;
  op: ExpectOp;
  expected: number;
  /** null when the run produced no such metric: that fails, it is never assumed. */
  actual: number | null;
  pass: boolean;
  why?: string;
  /** The variant this check belongs to, when the scenario has variants. */
  variant?: string;
}

export function checkExpectations(expect: Expectation[], metrics: Metrics): ExpectationResult[] {
  const out: ExpectationResult[] = [];
  for (const e of expect) {
    const actual = metrics[e.metric] ?? null;
    for (const op of ['equals', 'atLeast', 'atMost'] as const) {
      const expected = e[op];
      if (expected === undefined) continue;
      const pass =
        actual !== null && (op === 'equals' ? actual === expected : op === 'atLeast' ? actual >= expected : actual <= expected);
      out.push({ metric: e.metric, op, expected, actual, pass, ...(e.why ? { why: e.why } : {}) });
    }
  }
  return out;
}
