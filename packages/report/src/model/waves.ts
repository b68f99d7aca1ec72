import type { RequestRecord } from '@keepalive-lab/core';
import { batchesOf } from '@keepalive-lab/scenarios';

/** One completion wave: when its first request ended, how many ended in it. */
export interface Wave {
  t: number;
  n: number;
}

/**
 * Completion waves: every ended request (answered or failed, as the terminal's
 * waves line counts them) split where two neighbouring ends are more than
 * `gap` ms apart. The blog's stall shows as one wave per origin idle timeout.
 */
export function completionWaves(requests: readonly RequestRecord[], gap: number): Wave[] {
  const ends = requests.map((r) => r.end).filter((e): e is number => e !== null);
  return batchesOf(
    ends.sort((a, b) => a - b),
    gap,
  ).map((w) => ({ t: w[0] ?? 0, n: w.length }));
}
