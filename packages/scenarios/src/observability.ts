import { findProxyComponent } from '@keepalive-lab/proxies';
import { chainOf, type Scenario } from './schema.js';

/**
 * Why a run of this scenario cannot observe a metric, or null when it can.
 * A check on such a metric reads `n/a` with this reason and is skipped: a
 * topology that has no proxy has no proxy counts, which is not a failure.
 * (A metric the run could observe but did not produce still fails.)
 */
export function whyUnobservable(metric: string, s: Scenario): string | null {
  // proxy.own.* are the first hop's counts (the lab's engines each count for themselves).
  const kind = chainOf(s)[0]?.kind ?? null;
  if (metric.startsWith('proxy.')) {
    if (kind === null) return 'no proxy in this run';
    if (!metric.startsWith('proxy.own.')) return null;
    const c = findProxyComponent(kind);
    if (c?.source !== 'lab')
      return `proxy kind ${kind} keeps no counts the lab can read (${metric.replace('.own', '')} is derived from both ends)`;
    if (c.layer === 'l4' && /\.(retries|upstreamReuses)$/.test(metric)) return `proxy kind ${kind} forwards bytes, not requests`;
    return null;
  }
  if (metric.startsWith('balance.') && s.origins.length < 2) return 'one origin: nothing to balance';
  if (metric.startsWith('timeWait') && process.platform !== 'linux') return 'TIME_WAIT is counted on Linux only';
  if (/^timeWait\.proxy/.test(metric) && chainOf(s).length === 0) return 'no proxy in this run';
  return null;
}
