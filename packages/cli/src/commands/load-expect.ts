import { LabError } from '@keepalive-lab/core';
import { LOAD_METRICS } from '@keepalive-lab/client';
import {
  METRICS,
  metricPattern,
  checkExpectations,
  closest,
  resolveExpected,
  scenarioSchema,
  type Expectation,
  type ExpectationResult,
  type Metrics,
} from '@keepalive-lab/scenarios';

/**
 * `lab load --expect metric<op>value`: a scenario file's `expect:` row on one
 * line. `=` is `equals`, `>=` `atLeast`, `<=` `atMost`; the value is what a
 * bound may be there (a number or a duration: `0`, `50ms`, `2s`; a formula has
 * no scenario fields to read here). Metric names are the catalogue's
 * (docs/reference.md) plus the load figures (LOAD_METRICS), and must be ones a
 * client alone can measure.
 */
const FLAG = '--expect';
const OPS = { '=': 'equals', '==': 'equals', '>=': 'atLeast', '<=': 'atMost' } as const;
const SYMBOL = { equals: '=', atLeast: '≥', atMost: '≤' } as const;
const SHAPE = /^([^<>=!\s]+)\s*(<=|>=|==|=|!=|<|>)\s*(.*)$/;

/** Beside the client's own metrics: the run's length, and what the origin stamps on its answers (x-lab-origin-*). */
const ALSO_MEASURED = new Set(['duration', 'origin.distinctPorts', 'origin.maxRequestsPerConnection']);
const CATALOGUE = [...METRICS, ...LOAD_METRICS].map((m) => ({ ...m, pattern: metricPattern(m.name) }));
const MEASURED = CATALOGUE.filter((m) => m.from === 'client' || ALSO_MEASURED.has(m.name)).map((m) => m.name);

const usage = (expected: string, found: string): LabError =>
  new LabError('LAB_ERR_USAGE', `${FLAG}: expected ${expected}, found ${JSON.stringify(found)}`, {
    path: FLAG,
    expected,
    found: JSON.stringify(found),
  });

/** One `--expect` → the scenario language's expectation; a LabError naming the flag (exit 2) otherwise. */
export function parseExpect(text: string): Expectation {
  const m = SHAPE.exec(text.trim());
  if (m === null) throw usage('metric<op>value, such as requests.failed=0 or latency.p99<=50ms', text);
  const [, metric = '', op = '', value = ''] = m;
  const known = op in OPS ? OPS[op as keyof typeof OPS] : null;
  if (known === null) throw usage(`=, >= or <= (the scenario language's equals, atLeast, atMost), not ${op}`, text);
  const entry = CATALOGUE.find((e) => e.pattern.test(metric));
  if (entry === undefined) {
    const guess = closest(metric, new Set(CATALOGUE.map((e) => e.name)));
    throw usage(`a metric of docs/reference.md or lab load's own${guess ? ` (did you mean "${guess}"?)` : ''}`, metric);
  }
  if (!MEASURED.includes(entry.name)) {
    const why = "lab load reads only the client's records and the x-lab-origin-* headers of the answers";
    throw new LabError('LAB_ERR_USAGE', `${FLAG}: ${metric} is not measured by lab load (${why})`, {
      path: FLAG,
      expected: 'a metric lab load measures',
      found: JSON.stringify(metric),
      known: MEASURED,
    });
  }
  const bound = resolveExpected(value, {});
  // No scenario fields here: a formula's terms have nothing to name.
  if ('error' in bound) throw usage(`a number or a duration after ${op}, such as 0, 50ms or 2s`, text);
  return { metric, [known]: bound.value } as Expectation;
}

/** A run that stands for the load: no proxy, one origin, the defaults (what `checkExpectations` reads n/a reasons from). */
const LOAD_SCENARIO = scenarioSchema.parse({ name: 'lab-load', title: 'lab load' });

export function checkThresholds(expect: Expectation[], metrics: Metrics): ExpectationResult[] {
  return checkExpectations(expect, metrics, LOAD_SCENARIO);
}

/** `✗ latency.p99 ≤ 50 (actual 73.2)`: a check in one line, for stderr and --quiet. */
export function thresholdLine(r: ExpectationResult): string {
  return `${r.pass ? '✓' : '✗'} ${r.metric} ${SYMBOL[r.op]} ${r.expected} (actual ${r.actual ?? 'missing'})`;
}
