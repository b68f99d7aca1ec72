/** Nearest-rank percentile of an ascending array; null when empty. */
export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? null;
}

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
