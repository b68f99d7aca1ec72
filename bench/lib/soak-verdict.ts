import type { ProxyEventCounts } from './soak-children.js';
import type { Measurement } from './soak-measure.js';
import type { Tally } from './soak-tally.js';

/** "Back to baseline", within: fds ± FD_TOLERANCE, ESTABLISHED ≤ baseline + FD_TOLERANCE, RSS ≤ baseline + RSS_TOLERANCE. */
export const FD_TOLERANCE = 5;
export const RSS_TOLERANCE = 20 * 1024 * 1024;

export interface VerdictInput {
  baseline: Measurement;
  end: Measurement;
  behaviours: Record<string, Tally>;
  events: ProxyEventCounts;
  exitedEarly: string | null;
}

/** Every reason the engine is not back to baseline; empty when it is. */
export function verdictFailures(v: VerdictInput): string[] {
  const out: string[] = [];
  if (v.exitedEarly !== null) out.push(v.exitedEarly);
  const stuck = Object.values(v.behaviours).reduce((s, t) => s + t.stuck, 0);
  if (stuck > 0) out.push(`${stuck} stuck request(s): no answer and no error by the deadline`);
  const fdDelta = v.end.fds - v.baseline.fds;
  if (Math.abs(fdDelta) > FD_TOLERANCE)
    out.push(`fds ${v.baseline.fds} → ${v.end.fds} (${fdDelta > 0 ? '+' : ''}${fdDelta}, tolerance ±${FD_TOLERANCE})`);
  const est = (m: Measurement) => m.tcp.ESTABLISHED ?? 0;
  if (est(v.end) > est(v.baseline) + FD_TOLERANCE) out.push(`ESTABLISHED ${est(v.baseline)} → ${est(v.end)} (tolerance +${FD_TOLERANCE})`);
  const closeWait = v.end.tcp.CLOSE_WAIT ?? 0;
  if (closeWait > 0) out.push(`${closeWait} socket(s) in CLOSE_WAIT: the peer closed, the proxy never did`);
  if (v.end.rss > v.baseline.rss + RSS_TOLERANCE) {
    const mb = (b: number) => (b / 1024 / 1024).toFixed(1);
    out.push(`RSS ${mb(v.baseline.rss)} → ${mb(v.end.rss)} MB (tolerance +${mb(RSS_TOLERANCE)} MB)`);
  }
  return out;
}
