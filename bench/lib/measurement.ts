/** One load run against one server: what every table row shows. */
export interface Measurement {
  label: string;
  /** Answered requests (status < 400) per second. */
  rps: number;
  /** ms */
  p99: number;
  /** Answered requests. */
  ok: number;
  /** Failed requests, socket errors and statuses ≥ 400 together. */
  failed: number;
  /** Server CPU (user + system) per answered request, µs: the lowest over the rounds; null off Linux. */
  cpuPerReq?: number | null;
}

/** A goal on the ratio of two measurements' req/s: `ratio(a/b) op target`. */
export interface Goal {
  label: string;
  value: number;
  op: '>=' | '<=';
  target: number;
  /** How the value is shown: a ratio (0.93×), a cost (7.0 %), bytes as MB (value in bytes), or a plain count. */
  unit: 'x' | '%' | 'MB' | 'n';
  /** False: shown for information, not judged (the agent engine is expected to be slow). */
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

/** Each measured phase (ms), how many alternating rounds (best kept), the warm-up per server (ms). */
export const PHASE_MS = 1000;
export const ROUNDS = 5;
export const WARMUP_MS = 1000;
/** Connections for every load generator, the same on both sides of a comparison. */
export const CONNECTIONS = 16;
