import { serverDriver } from '../lib/drivers.js';
import { compare, cpuRatio, inverse, p99Ratio, ratioGoal, rpsRatio, type Contender } from '../lib/compare.js';
import { CONNECTIONS, PHASE_MS, ROUNDS, type Goal, type SectionResult } from '../lib/measurement.js';
import { peerMissing } from '../lib/peers.js';
import { startServerChild } from '../lib/server-child.js';

const PIPE = 'lab proxy pipe-l4';
const HAPROXY_TCP = 'HAProxy 2.6 mode tcp';
const DIRECT = 'no proxy (the origin itself)';

/**
 * Issue 12's L4 anchor: pipe-l4 against HAProxy in mode tcp, each in its own
 * process in front of the same plain node:http origin. Each client
 * connection is one upstream connection for both, so req/s is mostly the
 * origin's; server CPU per request is the proxy's own cost. The origin
 * alone is shown for scale.
 */
export async function pipeL4Section(): Promise<SectionResult> {
  const origin = await startServerChild('plain');
  const missing = peerMissing('haproxy-tcp');
  try {
    const port = origin.port;
    const contenders: Contender[] = [{ label: PIPE, server: `pipe-l4@${port}`, run: serverDriver.run }];
    if (missing === null) contenders.push({ label: HAPROXY_TCP, server: `haproxy-tcp@${port}`, run: serverDriver.run });
    // The same origin process, unproxied (its own CPU in the µs column).
    contenders.push({ label: DIRECT, server: origin, run: serverDriver.run });
    const rows = await compare(contenders);
    const goals: Goal[] =
      missing === null
        ? [
            ratioGoal('pipe-l4 / HAProxy tcp req/s', rpsRatio(rows, PIPE, HAPROXY_TCP), '>=', 0.95),
            ratioGoal('pipe-l4 / HAProxy tcp p99', p99Ratio(rows, PIPE, HAPROXY_TCP), '<=', 1.2, false),
            ratioGoal('pipe-l4 / HAProxy tcp, by proxy CPU per request', inverse(cpuRatio(rows, PIPE, HAPROXY_TCP)), '>=', 0.95, false),
          ]
        : [];
    return {
      title: 'L4 proxy: lab proxy pipe-l4 vs HAProxy (mode tcp)',
      note:
        `a plain node:http origin in one child process, each proxy in its own in front of it; ` +
        `${serverDriver.name}, ${CONNECTIONS} connections; ${ROUNDS} rounds of ${PHASE_MS} ms; server µs/req is the proxy's (the origin's on the last row)`,
      rows,
      goals,
      lines: [
        ...(serverDriver.note === null ? [] : [serverDriver.note]),
        ...(missing === null ? [] : [`skipped with its goal: ${missing}`]),
      ],
    };
  } finally {
    await origin.stop();
  }
}
