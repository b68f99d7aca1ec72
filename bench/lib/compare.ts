import { serverDriver, type Driver } from './drivers.js';
import { median, PHASE_MS, ROUNDS, WARMUP_MS, type Goal, type Measurement } from './measurement.js';
import { startServerChild, type ServerChild } from './server-child.js';
import { treeCpuMicros } from './cpu.js';

/** One side of a comparison: a server kind (server-child.ts), or a server the caller started and stops, and how to load it. */
export interface Contender {
  label: string;
  server: string | ServerChild;
  run: Driver;
}

/** LAB_BENCH_VERBOSE=1: every round's figures on stderr, as they come. */
const VERBOSE = process.env.LAB_BENCH_VERBOSE === '1';

/** One round of one contender, with the server tree's CPU per answered request (null: unknown). */
type Round = Measurement & { cpuPerReq: number | null };

/**
 * Runs contenders in alternation, ROUNDS times PHASE_MS each, and keeps each
 * one's best round and the medians of all. The machine is shared (2 cores,
 * other work running): interference only ever lowers a figure, so
 * alternating and keeping the best compares the sides under the same
 * conditions; the median says whether the best was typical. Each server
 * child is warmed up (JIT, connections) before the first round and always
 * stopped. CPU is the server child's process tree (a real proxy is its child).
 */
export async function compare(contenders: Contender[], warmUp?: (url: string) => Promise<void>): Promise<Measurement[]> {
  const servers = new Map<string | ServerChild, ServerChild>();
  const started: ServerChild[] = [];
  try {
    for (const c of contenders) {
      if (servers.has(c.server)) continue;
      const s = typeof c.server === 'string' ? await startServerChild(c.server) : c.server;
      if (typeof c.server === 'string') started.push(s);
      servers.set(c.server, s);
      await serverDriver.run('warm-up', s.url, WARMUP_MS);
      await warmUp?.(s.url);
    }
    const rounds = new Map<string, Round[]>(contenders.map((c) => [c.label, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const c of contenders) {
        const s = servers.get(c.server);
        if (s === undefined) throw new Error(`no server for ${c.label}`);
        const cpu0 = treeCpuMicros(s.pid);
        const m = await c.run(c.label, s.url, PHASE_MS);
        const cpu1 = treeCpuMicros(s.pid);
        const cpuPerReq = cpu0 === null || cpu1 === null || m.ok === 0 || cpu1 <= cpu0 ? null : (cpu1 - cpu0) / m.ok;
        rounds.get(c.label)?.push({ ...m, cpuPerReq });
        if (VERBOSE)
          process.stderr.write(
            `  round ${round + 1} ${c.label}: ${Math.round(m.rps)} req/s, p99 ${m.p99} ms, ${cpuPerReq?.toFixed(1)} µs/req\n`,
          );
      }
    }
    return contenders.map((c) => summarise(rounds.get(c.label) ?? []));
  } finally {
    await Promise.all(started.map((s) => s.stop()));
  }
}

/** The best round by req/s, the lowest CPU per request, and the medians of all three figures. */
function summarise(rounds: Round[]): Measurement {
  const best = rounds.reduce((a, b) => (b.rps > a.rps ? b : a));
  const cpus = rounds.map((r) => r.cpuPerReq).filter((x): x is number => x !== null);
  return {
    ...best,
    cpuPerReq: cpus.length === 0 ? null : Math.min(...cpus),
    median: {
      rps: median(rounds.map((r) => r.rps)),
      p99: median(rounds.map((r) => r.p99)),
      cpuPerReq: cpus.length === 0 ? null : median(cpus),
      rounds: rounds.length,
    },
  };
}

const row = (rows: Measurement[], label: string): Measurement | undefined => rows.find((m) => m.label === label);
const div = (x: number | null | undefined, y: number | null | undefined): number => (x == null || y == null || y === 0 ? 0 : x / y);

/** a / b of two rows' req/s: best against best, and median against median. */
export function rpsRatio(rows: Measurement[], a: string, b: string): { value: number; median: number } {
  const x = row(rows, a);
  const y = row(rows, b);
  return { value: div(x?.rps, y?.rps), median: div(x?.median?.rps, y?.median?.rps) };
}

/** a / b of two rows' p99 (the best rounds' own p99s, and the medians). */
export function p99Ratio(rows: Measurement[], a: string, b: string): { value: number; median: number } {
  const x = row(rows, a);
  const y = row(rows, b);
  return { value: div(x?.p99, y?.p99), median: div(x?.median?.p99, y?.median?.p99) };
}

/** a / b of two rows' server CPU per request (lowest, and median); 0 when unknown. */
export function cpuRatio(rows: Measurement[], a: string, b: string): { value: number; median: number } {
  const x = row(rows, a);
  const y = row(rows, b);
  return { value: div(x?.cpuPerReq, y?.cpuPerReq), median: div(x?.median?.cpuPerReq, y?.median?.cpuPerReq) };
}

/** A judged goal on a ratio of two rows; `judged` false shows it without judging. */
export function ratioGoal(label: string, ratio: { value: number; median: number }, op: Goal['op'], target: number, judged = true): Goal {
  return { label, value: ratio.value, median: ratio.median, op, target, unit: 'x', judged };
}

/** 1 / r, both figures: "a is r× b's cost" read as "a runs 1/r× as many requests per CPU second". */
export const inverse = (r: { value: number; median: number }): { value: number; median: number } => ({
  value: r.value === 0 ? 0 : 1 / r.value,
  median: r.median === 0 ? 0 : 1 / r.median,
});
