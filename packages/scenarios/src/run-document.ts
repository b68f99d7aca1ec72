import type { LoadedScenario } from './loader.js';
import { scenarioRuns } from './loader.js';
import { runEnv } from './env.js';
import { RESULT_SCHEMA, type ResultDocument, type VariantOutcome } from './result-document.js';
import { runScenario, type RunFollower } from './runner.js';
import type { Metrics } from './metrics.js';
import { needsNamespace, runInNamespace } from './netns.js';

/**
 * Runs a loaded scenario — once, or once per variant in order — and builds
 * the result document. A variant failing its checks does not stop the next.
 */
export async function runToDocument(loaded: LoadedScenario, follow?: RunFollower): Promise<ResultDocument> {
  // network.namespace: the whole scenario runs in a child inside its own namespace, which calls back here (netns.ts).
  if (needsNamespace(loaded)) return runInNamespace(loaded, runToDocument, follow);
  const runs = scenarioRuns(loaded);
  if (!runs.ok) throw runs.error;
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const source = { file: loaded.file, overrides: loaded.overrides.map((o) => o.text) };
  const only = runs.value.length === 1 && runs.value[0]?.variant === null ? runs.value[0] : null;
  if (only) {
    const o = await runScenario(only.scenario, { ...(follow ? { follow } : {}) });
    return {
      schema: RESULT_SCHEMA,
      scenario: only.scenario,
      source,
      env: runEnv(),
      startedAt: o.startedAt,
      durationMs: o.durationMs,
      requests: o.requests,
      events: o.events,
      metrics: o.metrics,
      expectations: o.expectations,
      verdict: o.expectations.every((e) => e.pass) ? 'reproduced' : 'not-reproduced',
      peers: o.peers,
    };
  }
  const doc: ResultDocument = {
    schema: RESULT_SCHEMA,
    scenario: loaded.scenario,
    source,
    env: runEnv(),
    startedAt,
    durationMs: 0,
    requests: [],
    events: [],
    metrics: {},
    expectations: [],
    verdict: 'reproduced',
    variants: [],
  };
  for (const { variant, scenario } of runs.value) {
    const name = variant?.name ?? 'default';
    const o = await runScenario(scenario, { variant: name, ...(follow ? { follow } : {}) });
    const outcome: VariantOutcome = {
      name,
      title: variant?.title ?? null,
      scenario,
      durationMs: o.durationMs,
      metrics: o.metrics,
      expectations: o.expectations.map((e) => ({ ...e, variant: name })),
      verdict: o.expectations.every((e) => e.pass) ? 'reproduced' : 'not-reproduced',
      peers: o.peers,
    };
    doc.peers ??= o.peers;
    doc.variants?.push(outcome);
    for (const r of o.requests) doc.requests.push({ ...r, variant: name });
    for (const e of o.events) doc.events.push({ ...e, variant: name });
    Object.assign(doc.metrics, prefixed(name, o.metrics));
    doc.expectations.push(...outcome.expectations);
    if (outcome.verdict === 'not-reproduced') doc.verdict = 'not-reproduced';
  }
  doc.durationMs = performance.now() - t0;
  return doc;
}

function prefixed(variant: string, m: Metrics): Metrics {
  const out: Metrics = {};
  for (const [k, v] of Object.entries(m)) out[`${variant}:${k}`] = v;
  return out;
}
