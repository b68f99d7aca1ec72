import type { LabEvent, RequestRecord } from '@keepalive-lab/core';
import {
  TICK_MS,
  chainOf,
  hopNames,
  waitingFor,
  type ResultDocument,
  type RunEvent,
  type Scenario,
  type Verdict,
} from '@keepalive-lab/scenarios';

/** Between two variants of a replay: a breath, so the page's reset is seen. */
export const VARIANT_PAUSE_MS = 1000;

/** One event of a replay: `at` on the replay's own clock (ms; variants one after another), `p` on its run's. */
export interface ReplayItem {
  at: number;
  p: RunEvent;
}

interface SavedRun {
  variant: string | null;
  scenario: Scenario;
  events: LabEvent[];
  requests: RequestRecord[];
  durationMs: number;
  verdict: Verdict;
  startedAt: string;
}

/**
 * A saved result as the runner's stream would have told it: each run's
 * start, its events at their `t`, each request's end at its `end`, a
 * heartbeat, its end. What the page draws from a replay is what it drew live.
 */
export function replayTimeline(doc: ResultDocument): ReplayItem[] {
  const items: ReplayItem[] = [];
  let offset = 0;
  for (const run of savedRuns(doc)) {
    const timeline = runTimeline(run);
    const last = timeline[timeline.length - 1]?.p.t ?? 0;
    for (const { at, p } of timeline) items.push({ at: at + offset, p });
    offset += last + VARIANT_PAUSE_MS;
  }
  return items;
}

function savedRuns(doc: ResultDocument): SavedRun[] {
  const variants = doc.variants ?? [];
  if (variants.length === 0) {
    return [
      {
        variant: null,
        scenario: doc.scenario,
        events: doc.events,
        requests: doc.requests,
        durationMs: doc.durationMs,
        verdict: doc.verdict,
        startedAt: doc.startedAt,
      },
    ];
  }
  return variants.map((v) => ({
    variant: v.name,
    scenario: v.scenario,
    events: doc.events.filter((e) => e.variant === v.name),
    requests: doc.requests.filter((r) => r.variant === v.name),
    durationMs: v.durationMs,
    verdict: v.verdict,
    startedAt: doc.startedAt,
  }));
}

function runTimeline(run: SavedRun): ReplayItem[] {
  const { scenario, variant } = run;
  const total = run.requests.length;
  const body: RunEvent[] = run.events.map((event) => ({ type: 'event', t: event.t, event }));
  const ended = run.requests.filter((r) => r.end !== null).sort((a, b) => (a.end ?? 0) - (b.end ?? 0));
  for (const [i, record] of ended.entries()) body.push({ type: 'request', t: record.end ?? 0, record, done: i + 1, total });
  // Stable: at the same t, events keep their recorded order and come before the answers.
  body.sort((a, b) => a.t - b.t);
  const end = Math.max(run.durationMs, body[body.length - 1]?.t ?? 0);
  const hint = waitingFor(scenario);
  const ticks: RunEvent[] = [];
  let done = 0; // answers up to this tick
  for (let t = TICK_MS; t < end; t += TICK_MS) {
    while (done < ended.length && (ended[done]?.end ?? 0) <= t) done++;
    ticks.push({ type: 'tick', t, variant, done, total, waitingFor: hint });
  }
  const all = [...body, ...ticks].sort((a, b) => a.t - b.t);
  return [
    { at: 0, p: { type: 'start', t: 0, variant, scenario, hops: hopNames(chainOf(scenario)), total, startedAt: run.startedAt } },
    ...all.map((p) => ({ at: p.t, p })),
    { at: end, p: { type: 'end', t: end, variant, durationMs: run.durationMs, verdict: run.verdict, error: null } },
  ];
}
