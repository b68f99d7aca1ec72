/** Metrics measured in ms: `latency.*` and `duration`. */
export const isTime = (metric: string): boolean => metric.startsWith('latency.') || metric === 'duration';

/** `3.03 s`, `71 ms`, `4.2 ms`: a time in ms as the page shows it. */
export function ms(v: number): string {
  return v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(v < 10 ? 1 : 0)} ms`;
}

/** A metric's value as the page shows it: times in ms or s, counts as they are, a dash for one the result does not have. */
export function fmt(metric: string, v: number | null | undefined): string {
  if (v === null || v === undefined) return '–';
  return isTime(metric) ? ms(v) : String(v);
}
