import { serverDriver } from '../lib/drivers.js';
import { compare, p99Ratio, ratioGoal, rpsRatio, type Contender } from '../lib/compare.js';
import { CONNECTIONS, PHASE_MS, ROUNDS, type Goal, type SectionResult } from '../lib/measurement.js';
import { peerMissing } from '../lib/peers.js';
import { startServerChild } from '../lib/server-child.js';

const L7 = 'lab proxy l7';
const L7_FAST = 'lab proxy l7-fast';
const HTTP_PROXY = 'http-proxy + keep-alive Agent';
const NGINX = 'nginx 1.22 (1 worker, keepalive 32)';
const HAPROXY = 'HAProxy 2.6 mode http';

/**
 * Issue 12's L7 anchors: the lab's two L7 engines against nginx and HAProxy
 * in mode http (and the http-proxy library), each in its own process in
 * front of the same plain node:http origin (one more child process, started
 * once and shared). A real proxy that is not installed is a line saying how
 * to install it; its row and goals are left out, the others still run.
 */
export async function l7Section(): Promise<SectionResult> {
  const origin = await startServerChild('plain');
  const missing = { nginx: peerMissing('nginx'), haproxy: peerMissing('haproxy') };
  try {
    const port = origin.port;
    const contenders: Contender[] = [
      { label: L7, server: `l7@${port}`, run: serverDriver.run },
      { label: L7_FAST, server: `l7-fast@${port}`, run: serverDriver.run },
      { label: HTTP_PROXY, server: `http-proxy@${port}`, run: serverDriver.run },
    ];
    if (missing.nginx === null) contenders.push({ label: NGINX, server: `nginx@${port}`, run: serverDriver.run });
    if (missing.haproxy === null) contenders.push({ label: HAPROXY, server: `haproxy@${port}`, run: serverDriver.run });
    const rows = await compare(contenders);
    const goals: Goal[] = [
      ratioGoal('l7 / http-proxy req/s', rpsRatio(rows, L7, HTTP_PROXY), '>=', 1),
      ratioGoal('l7-fast / l7 req/s', rpsRatio(rows, L7_FAST, L7), '>=', 1, false),
    ];
    if (missing.nginx === null) {
      goals.push(
        ratioGoal('l7-fast / nginx req/s', rpsRatio(rows, L7_FAST, NGINX), '>=', 1),
        ratioGoal('l7-fast / nginx p99', p99Ratio(rows, L7_FAST, NGINX), '<=', 1.2),
        ratioGoal('l7 / nginx req/s', rpsRatio(rows, L7, NGINX), '>=', 0.5),
        ratioGoal('l7 / nginx p99', p99Ratio(rows, L7, NGINX), '<=', 1.5, false),
      );
    }
    if (missing.haproxy === null) {
      goals.push(
        ratioGoal('l7-fast / HAProxy http req/s', rpsRatio(rows, L7_FAST, HAPROXY), '>=', 0.9),
        ratioGoal('l7-fast / HAProxy http p99', p99Ratio(rows, L7_FAST, HAPROXY), '<=', 1.2, false),
      );
    }
    const lines = [
      ...(serverDriver.note === null ? [] : [serverDriver.note]),
      ...Object.values(missing)
        .filter((m) => m !== null)
        .map((m) => `skipped with its goals: ${m}`),
    ];
    return {
      title: 'L7 proxy: lab proxy l7 and l7-fast vs nginx, HAProxy (mode http) and http-proxy',
      note:
        `a plain node:http origin in one child process, each proxy in its own in front of it; ` +
        `${serverDriver.name}, ${CONNECTIONS} connections; ${ROUNDS} rounds of ${PHASE_MS} ms; server µs/req is the proxy's (its process tree)`,
      rows,
      goals,
      lines,
    };
  } finally {
    await origin.stop();
  }
}
