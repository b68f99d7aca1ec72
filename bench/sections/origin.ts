import { autocannonFor } from '../lib/drivers.js';
import { compare, rpsRatio } from '../lib/compare.js';
import { CONNECTIONS, PHASE_MS, ROUNDS, type SectionResult } from '../lib/measurement.js';

/** (b) The lab origin (stamps, counters, events) against a bare node:http server, both driven by autocannon. */
export async function originSection(): Promise<SectionResult> {
  const rows = await compare([
    { label: 'lab origin', server: 'lab', run: autocannonFor },
    { label: 'plain node:http', server: 'plain', run: autocannonFor },
  ]);
  return {
    title: 'origin: lab origin vs plain node:http',
    note: `each in its own child process; autocannon, ${CONNECTIONS} connections, pipelining 1; best of ${ROUNDS}×${PHASE_MS}ms`,
    rows,
    goals: [{ label: 'lab origin / plain', value: rpsRatio(rows, 'lab origin', 'plain node:http'), op: '>=', target: 0.9, unit: 'x', judged: true }],
  };
}
