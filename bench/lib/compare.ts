import { autocannonFor } from './drivers.js';
import { PHASE_MS, ROUNDS, WARMUP_MS, type Measurement } from './measurement.js';
import { startServerChild, type ServerChild } from './server-child.js';
import { cpuMicros } from './cpu.js';

/** One side of a comparison: a server kind (server-entry.ts) and how to load it. */
export interface Contender {
  label: string;
  server: string;
  run: (label: string, url: string, ms: number) => Promise<Measurement>;
}

/**
 * Runs contenders in alternation, ROUNDS times PHASE_MS each, and keeps each
 * one's best round. The machine is shared (2 cores, other work running):
 * interference only ever lowers a figure, so alternating and keeping the
 * best compares the sides under the same conditions. Each server child is
 * warmed up (JIT, connections) before the first round and always stopped.
 */
export async function compare(contenders: Contender[], warmUp?: (url: string) => Promise<void>): Promise<Measurement[]> {
  const servers = new Map<string, ServerChild>();
  try {
    for (const c of contenders) {
      if (servers.has(c.server)) continue;
      const s = await startServerChild(c.server);
      servers.set(c.server, s);
      await autocannonFor('warm-up', s.url, WARMUP_MS);
      await warmUp?.(s.url);
    }
    const best = new Map<string, Measurement>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const c of contenders) {
        const s = servers.get(c.server);
        if (s === undefined) throw new Error(`no server ${c.server}`);
        const cpu0 = cpuMicros(s.pid);
        const m = await c.run(c.label, s.url, PHASE_MS);
        const cpu1 = cpuMicros(s.pid);
        // No CPU seen (a server whose work happens in another process, like nginx's worker): unknown, not 0.
        const cpuPerReq = cpu0 === null || cpu1 === null || m.ok === 0 || cpu1 <= cpu0 ? null : (cpu1 - cpu0) / m.ok;
        const prev = best.get(c.label);
        const lowestCpu = prev?.cpuPerReq == null ? cpuPerReq : cpuPerReq === null ? prev.cpuPerReq : Math.min(prev.cpuPerReq, cpuPerReq);
        best.set(c.label, { ...(prev === undefined || m.rps > prev.rps ? m : prev), cpuPerReq: lowestCpu });
      }
    }
    return contenders.map((c) => best.get(c.label)).filter((m) => m !== undefined);
  } finally {
    await Promise.all([...servers.values()].map((s) => s.stop()));
  }
}

/** a / b of two measurements' server CPU per request, found by label; 0 when unknown. */
export function cpuRatio(rows: Measurement[], a: string, b: string): number {
  const x = rows.find((m) => m.label === a)?.cpuPerReq;
  const y = rows.find((m) => m.label === b)?.cpuPerReq;
  return x == null || y == null || y === 0 ? 0 : x / y;
}

/** a / b of two measurements' req/s, found by label. */
export function rpsRatio(rows: Measurement[], a: string, b: string): number {
  const x = rows.find((m) => m.label === a);
  const y = rows.find((m) => m.label === b);
  return x === undefined || y === undefined || y.rps === 0 ? 0 : x.rps / y.rps;
}
