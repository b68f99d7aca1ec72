import { LabError, type LabEvent, type RequestRecord } from '@keepalive-lab/core';
import { proxyComponent } from '@keepalive-lab/proxies';
import { runEnv, type RunEnv } from './env.js';
import { resolveExpected } from './expected-value.js';
import { scenarioThrough, type LoadedScenario } from './loader.js';
import type { Metrics } from './metrics.js';
import { whyUnobservable } from './observability.js';
import { runScenario } from './runner.js';
import type { Observation, Scenario, VariantSpec } from './schema.js';
import type { PeerRecord } from './topology.js';

export const MATRIX_SCHEMA = 'keepalive-lab/matrix@1';

/** A column: one proxy kind as it was on this machine. */
export interface MatrixKind {
  kind: string;
  source: string;
  layer: string;
  version: string | null;
  /** Why it did not run (not installed, with the install line); null when it ran. */
  missing: string | null;
}

/** One scenario (variant) through one kind: the records every cell of it is read from. */
export interface MatrixRun {
  scenario: string;
  variant: string | null;
  kind: string;
  /** Why the run did not complete (a knob refused, a peer that failed to start); null when it did. */
  error: string | null;
  durationMs: number;
  metrics: Metrics;
  requests: RequestRecord[];
  events: LabEvent[];
  peers: PeerRecord[];
}

export interface MatrixCell {
  kind: string;
  /** Index into `runs`; null when the kind did not run. */
  run: number | null;
  value: number | null;
  /** The row's bound held (✓) or not (✗); null without a bound or a value. */
  pass: boolean | null;
  /** Whether the cell has a value, and if not why: the renderers read this, never the note's words. */
  state: 'measured' | 'n/a' | 'missing' | 'not installed' | 'did not run';
  /** What else the reader needs: the client's failures (`5×502`), n/a and why, or why it did not run. */
  note: string;
}

/** A row: one behaviour, measured for every kind. */
export interface MatrixRow {
  scenario: string;
  variant: string | null;
  metric: string;
  label: string;
  /** The bound that marks a cell ✓, as written (`= client.requests - 1` → resolved per run). */
  bound: string | null;
  cells: MatrixCell[];
}

export interface MatrixDocument {
  schema: typeof MATRIX_SCHEMA;
  startedAt: string;
  durationMs: number;
  env: RunEnv;
  kinds: MatrixKind[];
  rows: MatrixRow[];
  runs: MatrixRun[];
}

/** What the matrix tells whoever shows progress. */
export interface MatrixProgress {
  done: number;
  total: number;
  scenario: string;
  variant: string | null;
  kind: string;
}

/** The runs a scenario contributes: the variants (or the scenario itself) that observe something. */
export function observedRuns(loaded: LoadedScenario): (VariantSpec | null)[] {
  const s = loaded.scenario;
  const variants = s.variants ?? [];
  if (variants.length === 0) return s.observe.length > 0 ? [null] : [];
  return variants.filter((v) => s.observe.length > 0 || v.observe.length > 0);
}

/**
 * Runs each observed scenario (variant) through each proxy kind, one at a
 * time (runs share the machine; parallel runs would disturb each other's
 * timing), and reads every cell off that run's metrics. A kind that is not
 * installed gets a column of its install line; a run that fails gets its
 * error in its cells, and the rest goes on.
 */
export async function runMatrix(
  scenarios: LoadedScenario[],
  kinds: string[],
  onProgress?: (p: MatrixProgress) => void,
): Promise<MatrixDocument> {
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const columns: MatrixKind[] = await Promise.all(
    kinds.map(async (kind) => {
      const c = proxyComponent(kind);
      const missing = c.missing();
      return { kind, source: c.source, layer: c.layer, version: missing === null ? await c.version() : null, missing };
    }),
  );
  const plan = scenarios.flatMap((loaded) => observedRuns(loaded).map((variant) => ({ loaded, variant })));
  const total = plan.length * columns.filter((k) => k.missing === null).length;
  const runs: MatrixRun[] = [];
  const rows: MatrixRow[] = [];
  let done = 0;
  for (const { loaded, variant } of plan) {
    const name = loaded.scenario.name;
    const observe = [...loaded.scenario.observe, ...(variant?.observe ?? [])];
    const cells: MatrixCell[][] = observe.map(() => []);
    for (const col of columns) {
      if (col.missing !== null) {
        for (const list of cells)
          list.push({ kind: col.kind, run: null, value: null, pass: null, state: 'not installed', note: 'not installed' });
        continue;
      }
      onProgress?.({ done, total, scenario: name, variant: variant?.name ?? null, kind: col.kind });
      const { run, scenario } = await runOne(loaded, variant, col.kind);
      done++;
      runs.push(run);
      observe.forEach((o, i) => {
        cells[i]?.push(cellOf(o, run, runs.length - 1, scenario));
      });
    }
    observe.forEach((o, i) => {
      rows.push({
        scenario: name,
        variant: variant?.name ?? null,
        metric: o.metric,
        label: o.label,
        bound: boundText(o),
        cells: cells[i] ?? [],
      });
    });
  }
  return { schema: MATRIX_SCHEMA, startedAt, durationMs: performance.now() - t0, env: runEnv(), kinds: columns, rows, runs };
}

async function runOne(
  loaded: LoadedScenario,
  variant: VariantSpec | null,
  kind: string,
): Promise<{ run: MatrixRun; scenario: Scenario | null }> {
  const base = { scenario: loaded.scenario.name, variant: variant?.name ?? null, kind };
  const empty = { durationMs: 0, metrics: {}, requests: [], events: [], peers: [] };
  const s = scenarioThrough(loaded, variant, kind);
  if (!s.ok) return { run: { ...base, ...empty, error: s.error.message }, scenario: null };
  try {
    const o = await runScenario(s.value);
    return {
      run: { ...base, error: null, durationMs: o.durationMs, metrics: o.metrics, requests: o.requests, events: o.events, peers: o.peers },
      scenario: s.value,
    };
  } catch (err) {
    if (!(err instanceof LabError)) throw err;
    return { run: { ...base, ...empty, error: err.message }, scenario: s.value };
  }
}

const OPS = [
  ['equals', '='],
  ['atLeast', '≥'],
  ['atMost', '≤'],
] as const;

function boundText(o: Observation): string | null {
  for (const [op, sign] of OPS) if (o[op] !== undefined) return `${sign} ${String(o[op])}`;
  return null;
}

/** A cell: the metric's value in that run, ✓/✗ against the row's bound, and what the client got when it failed. */
export function cellOf(o: Observation, run: MatrixRun, index: number, scenario: Scenario | null): MatrixCell {
  const at = { kind: run.kind, run: index };
  if (run.error !== null || scenario === null)
    return { ...at, value: null, pass: null, state: 'did not run', note: `did not run: ${run.error ?? 'unknown'}` };
  const value = run.metrics[o.metric] ?? null;
  if (value === null) {
    const why = whyUnobservable(o.metric, scenario);
    return why === null
      ? { ...at, value, pass: null, state: 'missing', note: 'missing' }
      : { ...at, value, pass: null, state: 'n/a', note: `n/a: ${why}` };
  }
  let pass: boolean | null = null;
  for (const [op] of OPS) {
    const bound = o[op];
    if (bound === undefined) continue;
    const r = resolveExpected(bound, scenario);
    if (!('value' in r)) continue;
    const ok = op === 'equals' ? value === r.value : op === 'atLeast' ? value >= r.value : value <= r.value;
    pass = (pass ?? true) && ok;
  }
  return { ...at, value, pass, state: 'measured', note: failureNote(run.metrics) };
}

const SHORT: Record<string, string> = { ECONNRESET: 'reset', EOF: 'eof', TIMEOUT: 'timeout', ECONNREFUSED: 'refused', EPIPE: 'reset' };

/** `5×502 3×reset`: what the client got instead of an answer, from the run's errors.* metrics. */
export function failureNote(m: Metrics): string {
  return Object.entries(m)
    .filter(([k, v]) => k.startsWith('errors.') && v > 0)
    .map(([k, v]) => {
      const code = k.slice('errors.'.length);
      return `${v}×${code.startsWith('HTTP_') ? code.slice(5) : (SHORT[code] ?? code)}`;
    })
    .join(' ');
}
