/** One contender's figures over the rounds of a comparison: what every table row shows. */
export interface Measurement {
  label: string;
  /** Answered requests (status < 400) per second, in the best round. */
  rps: number;
  /** ms, the best round's. */
  p99: number;
  /** Answered requests, in the best round. */
  ok: number;
  /** Failed requests, socket errors and statuses ≥ 400 together, in the best round. */
  failed: number;
  /** Server CPU (user + system, its process tree) per answered request, µs: the lowest over the rounds; null off Linux. */
  cpuPerReq?: number | null;
  /** The same figures' medians over every round (req/s, p99, CPU per request), and how many rounds. */
  median?: { rps: number; p99: number; cpuPerReq: number | null; rounds: number };
}

/** A goal on a figure or on the ratio of two rows' figures: `value op target`. */
export interface Goal {
  label: string;
  /** From the best rounds (lowest CPU) of each side. */
  value: number;
  /** The same ratio from each side's medians, printed beside: a best round can be luck, a median rarely is. */
  median?: number;
  op: '>=' | '<=';
  target: number;
  /** How the value is shown: a ratio (0.93×), a cost (7.0 %), bytes as MB (value in bytes), or a plain count. */
  unit: 'x' | '%' | 'MB' | 'n';
  /** False: shown for information, not judged. */
  judged: boolean;
}

export interface SectionResult {
  title: string;
  /** What each row ran against, e.g. "lab origin (child process)". */
  note: string;
  rows: Measurement[];
  goals: Goal[];
  /** Figures that are not req/s rows, one per line, printed after the table (which is left out when there are no rows). */
  lines?: string[];
}

export const goalMet = (g: Goal): boolean => (g.op === '>=' ? g.value >= g.target : g.value <= g.target);

/** A positive whole number from the environment, or the default. */
function envCount(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : fallback;
}

/**
 * Each measured phase (ms), how many alternating rounds (best and median
 * kept), the warm-up per server (ms). LAB_BENCH_PHASE_MS and
 * LAB_BENCH_ROUNDS change the first two (issue 12 measured 2 rounds of 5 s;
 * the median needs at least 3). wrk takes whole seconds.
 */
export const PHASE_MS = envCount('LAB_BENCH_PHASE_MS', 1000);
export const ROUNDS = Math.max(3, envCount('LAB_BENCH_ROUNDS', 5));
export const WARMUP_MS = 1000;
/** Connections for every load generator, the same on both sides of a comparison (issue 12: wrk, 1 thread, 50 connections). */
export const CONNECTIONS = 50;

/** The middle value (mean of the two middle ones for an even count); 0 for none. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}
