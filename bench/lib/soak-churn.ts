import { setTimeout as sleep } from 'node:timers/promises';
import { BEHAVIOURS } from './soak-behaviours.js';
import { drainLate, emptyTally, type Tally } from './soak-tally.js';

export interface ChurnOptions {
  /** The proxy's port on 127.0.0.1. */
  port: number;
  /** Virtual clients, each one connection at a time: at most this many client connections at once. */
  clients: number;
  /** No session starts after this long (ms); those under way finish by their own deadlines. */
  durationMs: number;
  /** A client waits between sessions, uniformly in [min, max] ms: what bounds the request rate. */
  thinkMs: readonly [number, number];
}

const NAMES = Object.keys(BEHAVIOURS);
const TOTAL_WEIGHT = NAMES.reduce((sum, n) => sum + (BEHAVIOURS[n]?.weight ?? 0), 0);
/** A bound on sessions per virtual client, besides time. */
const MAX_SESSIONS_PER_CLIENT = 100_000;

function pick(): string {
  let r = Math.random() * TOTAL_WEIGHT;
  for (const n of NAMES) {
    r -= BEHAVIOURS[n]?.weight ?? 0;
    if (r < 0) return n;
  }
  return NAMES[NAMES.length - 1] ?? '';
}

/**
 * Clients connecting and leaving: each virtual client runs a session of a
 * behaviour drawn by weight, thinks, and again, until the duration is over.
 * Starts are spread over the first think time, not thrown at the listen
 * backlog at once. Resolves when every session has ended, late ones included.
 */
export async function runChurn(o: ChurnOptions): Promise<Record<string, Tally>> {
  const tallies: Record<string, Tally> = Object.fromEntries(NAMES.map((n) => [n, emptyTally()]));
  const endAt = Date.now() + o.durationMs;
  const [thinkMin, thinkMax] = o.thinkMs;
  const client = async (): Promise<void> => {
    await sleep(Math.random() * Math.min(thinkMax, o.durationMs));
    for (let i = 0; i < MAX_SESSIONS_PER_CLIENT && Date.now() < endAt; i++) {
      const name = pick();
      const b = BEHAVIOURS[name];
      const t = tallies[name];
      if (b === undefined || t === undefined) continue;
      await b.run(o.port, t);
      const left = endAt - Date.now();
      if (left <= 0) break;
      await sleep(Math.min(left, thinkMin + Math.random() * (thinkMax - thinkMin)));
    }
  };
  await Promise.all(Array.from({ length: o.clients }, client));
  await drainLate();
  return tallies;
}
