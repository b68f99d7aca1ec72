/** Nearest rank: one definition, in core, which the client's load figures use too. */
export { percentile } from '@keepalive-lab/core';

/**
 * Completion waves: sorted end times split wherever two neighbours are more
 * than `gap` apart. The blog's stall shows as one wave per origin idle timeout.
 */
export function batchesOf(sortedEnds: number[], gap: number): number[][] {
  const out: number[][] = [];
  let cur: number[] = [];
  for (const t of sortedEnds) {
    const prev = cur[cur.length - 1];
    if (prev !== undefined && t - prev > gap) {
      out.push(cur);
      cur = [];
    }
    cur.push(t);
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

export const round = (n: number, digits = 1): number => Number(n.toFixed(digits));
