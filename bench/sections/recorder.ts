import { autocannonFor } from '../lib/drivers.js';
import { compare, cpuRatio, rpsRatio } from '../lib/compare.js';
import { CONNECTIONS, PHASE_MS, ROUNDS, type SectionResult } from '../lib/measurement.js';

/** (c) What keeping every event costs: the lab origin with a recording Recorder vs one with keep: false. */
export async function recorderSection(): Promise<SectionResult> {
  const KEPT = 'Recorder keeping events';
  const NONE = 'Recorder({ keep: false })';
  const rows = await compare([
    { label: KEPT, server: 'lab-record', run: autocannonFor },
    { label: NONE, server: 'lab-nokeep', run: autocannonFor },
  ]);
  return {
    title: 'recorder overhead in the lab origin',
    note: `each in its own child process; autocannon, ${CONNECTIONS} connections, pipelining 1; best of ${ROUNDS}×${PHASE_MS}ms`,
    rows,
    // Judged on server CPU per request, steadier than req/s on a shared machine (see origin.ts).
    goals: [
      { label: 'server CPU per request added by recording', value: cpuRatio(rows, KEPT, NONE) - 1, op: '<=', target: 0.1, unit: '%', judged: true },
      { label: 'req/s lost to recording', value: 1 - rpsRatio(rows, KEPT, NONE), op: '<=', target: 0.1, unit: '%', judged: false },
    ],
  };
}
