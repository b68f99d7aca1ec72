import { autocannonFor } from '../lib/drivers.js';
import { compare, cpuRatio, rpsRatio } from '../lib/compare.js';

const inverse = (x: number): number => (x === 0 ? 0 : 1 / x);
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
    // Judged on server CPU per request (plain's / lab's): req/s swings by tens of per cent between
    // runs on this shared 2-core machine, CPU per request by a few. req/s is shown beside it.
    goals: [
      {
        label: 'lab origin / plain, by server CPU per request',
        value: inverse(cpuRatio(rows, 'lab origin', 'plain node:http')),
        op: '>=',
        target: 0.9,
        unit: 'x',
        judged: true,
      },
      {
        label: 'lab origin / plain, by req/s',
        value: rpsRatio(rows, 'lab origin', 'plain node:http'),
        op: '>=',
        target: 0.9,
        unit: 'x',
        judged: false,
      },
    ],
  };
}
