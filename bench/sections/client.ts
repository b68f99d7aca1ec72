import { autocannonFor, labLoadFor } from '../lib/drivers.js';
import { compare, ratioGoal, rpsRatio, type Contender } from '../lib/compare.js';
import { CONNECTIONS, ROUNDS, PHASE_MS, type Goal, type SectionResult } from '../lib/measurement.js';
import { WRK, WRK_INSTALL_HINT, wrkFor } from '../lib/wrk.js';

/**
 * The load generator: `lab load` against autocannon and wrk on the same
 * plain node:http origin (issue 12's), same connections, one request in
 * flight per connection, keep-alive. `lab load` keeps every record with its
 * client port (port recording on, as `lab load` always runs). The fast
 * engine runs in this process as autocannon does; wrk is C in its own.
 */
export async function clientSection(): Promise<SectionResult> {
  const AC = 'autocannon';
  const WRK_ROW = 'wrk -t1';
  const FAST = 'lab load --engine fast';
  const AGENT = 'lab load --engine agent';
  const contenders: Contender[] = [
    { label: AC, server: 'plain', run: autocannonFor },
    ...(WRK === null ? [] : [{ label: WRK_ROW, server: 'plain', run: wrkFor }]),
    { label: FAST, server: 'plain', run: (l, u, ms) => labLoadFor(l, u, ms, 'fast') },
    { label: AGENT, server: 'plain', run: (l, u, ms) => labLoadFor(l, u, ms, 'agent') },
  ];
  const rows = await compare(
    contenders,
    // The client's own JIT warm-up, unmeasured, as the driver's warm-up warmed the server.
    async (url) => {
      await labLoadFor('warm-up', url, 300, 'fast');
      await labLoadFor('warm-up', url, 300, 'agent');
    },
  );
  const goals: Goal[] = [ratioGoal('fast engine / autocannon', rpsRatio(rows, FAST, AC), '>=', 1)];
  if (WRK !== null) {
    goals.push(
      ratioGoal('fast engine / wrk', rpsRatio(rows, FAST, WRK_ROW), '>=', 0.8),
      ratioGoal('agent engine / wrk', rpsRatio(rows, AGENT, WRK_ROW), '>=', 0.5),
    );
  }
  return {
    title: 'load generator: lab load vs autocannon and wrk',
    note:
      `plain node:http origin in a child process; ${CONNECTIONS} connections, keep-alive, 1 in flight per connection; ` +
      `${ROUNDS} rounds of ${PHASE_MS} ms; server µs/req is the origin's`,
    rows,
    goals,
    lines: WRK === null ? [`wrk row and its two goals skipped: wrk is not installed. Install it with: ${WRK_INSTALL_HINT}`] : [],
  };
}
