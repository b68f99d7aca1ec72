import type { ExpectationResult, Metrics, ResultDocument, Verdict } from '@keepalive-lab/scenarios';
import type { LabEvent, RequestRecord } from '@keepalive-lab/core';
import { LabError } from '@keepalive-lab/core';

/**
 * One run's worth of a result: the whole document, or one variant of it.
 * Compare and the HTML report work on views, so a variant result
 * (pool-head-of-line: pool-5 vs unlimited) compares per variant.
 */
export interface ResultView {
  /** `keepalive-l4`, or `pool-head-of-line:pool-5` for a variant. */
  label: string;
  scenario: string;
  variant: string | null;
  title: string;
  story: string;
  file: string | null;
  startedAt: string;
  requests: RequestRecord[];
  events: LabEvent[];
  /** Un-prefixed metric names, whichever kind of result. */
  metrics: Metrics;
  expectations: ExpectationResult[];
  verdict: Verdict;
  /** Completion waves are split at gaps longer than this (ms). */
  batchGap: number;
}

const DEFAULT_BATCH_GAP = 250;

/** Every view of a document: one, or one per variant in run order. */
export function viewsOf(doc: ResultDocument, file: string | null = null): ResultView[] {
  const base = { scenario: doc.scenario.name, story: doc.scenario.story, file, startedAt: doc.startedAt };
  const batchGap = doc.scenario.analysis?.batchGap ?? DEFAULT_BATCH_GAP;
  if (!doc.variants || doc.variants.length === 0) {
    return [
      {
        ...base,
        label: doc.scenario.name,
        variant: null,
        title: doc.scenario.title,
        requests: doc.requests,
        events: doc.events,
        metrics: doc.metrics,
        expectations: doc.expectations,
        verdict: doc.verdict,
        batchGap,
      },
    ];
  }
  return doc.variants.map((v) => ({
    ...base,
    label: `${doc.scenario.name}:${v.name}`,
    variant: v.name,
    title: v.title ? `${doc.scenario.title} (${v.title})` : doc.scenario.title,
    requests: doc.requests.filter((r) => r.variant === v.name),
    events: doc.events.filter((e) => e.variant === v.name),
    metrics: v.metrics,
    expectations: v.expectations,
    verdict: v.verdict,
    batchGap: v.scenario.analysis?.batchGap ?? batchGap,
  }));
}

/** Keeps the one variant a `name:variant` reference asked for; names the known ones otherwise. */
export function pickVariant(views: ResultView[], variant: string, file: string | null): ResultView {
  const found = views.find((v) => v.variant === variant);
  if (found) return found;
  const known = views.map((v) => v.variant).filter((n): n is string => n !== null);
  const where = file ?? views[0]?.scenario ?? 'result';
  throw new LabError(
    'LAB_ERR_RESULT_NOT_FOUND',
    known.length === 0 ? `${where}: has no variants, so ":${variant}" names nothing` : `${where}: no variant "${variant}"`,
    { ...(file ? { file } : {}), found: variant, known },
  );
}

/** `name:variant` → its parts; a path or a plain name has no variant. */
export function splitVariantRef(ref: string): { ref: string; variant: string | null } {
  const m = /^(.+):([A-Za-z0-9_.-]+)$/.exec(ref);
  if (!m || m[1] === undefined || m[2] === undefined || m[2].endsWith('.json')) return { ref, variant: null };
  return { ref: m[1], variant: m[2] };
}
