import { autocannonFor, labLoadFor } from '../lib/drivers.js';
import { compare, rpsRatio } from '../lib/compare.js';
import { CONNECTIONS, ROUNDS, PHASE_MS, type SectionResult } from '../lib/measurement.js';

/**
 * (a) The load generator: `lab load`'s fast engine against autocannon on the
 * same lab origin, same connections, pipelining 1, records kept. The agent
 * engine is node:http's Agent, there to teach, not to be fast: shown, not judged.
 */
export async function clientSection(): Promise<SectionResult> {
  const AC = 'autocannon';
  const FAST = 'lab load --engine fast';
  const AGENT = 'lab load --engine agent';
  const rows = await compare(
    [
      { label: AC, server: 'lab', run: autocannonFor },
      { label: FAST, server: 'lab', run: (l, u, ms) => labLoadFor(l, u, ms, 'fast') },
      { label: AGENT, server: 'lab', run: (l, u, ms) => labLoadFor(l, u, ms, 'agent') },
    ],
    // The client's own JIT warm-up, unmeasured, as autocannon's warm-up warmed the server.
    async (url) => {
      await labLoadFor('warm-up', url, 300, 'fast');
      await labLoadFor('warm-up', url, 300, 'agent');
    },
  );
  return {
    title: 'load generator: lab load vs autocannon',
    note: `lab origin in a child process; ${CONNECTIONS} connections, keep-alive, 1 in flight per connection; best of ${ROUNDS}×${PHASE_MS}ms`,
    rows,
    goals: [
      { label: 'fast engine / autocannon', value: rpsRatio(rows, FAST, AC), op: '>=', target: 0.8, unit: 'x', judged: true },
      { label: 'agent engine / autocannon', value: rpsRatio(rows, AGENT, AC), op: '>=', target: 0, unit: 'x', judged: false },
    ],
  };
}
