import { autocannonFor } from '../lib/drivers.js';
import { compare, rpsRatio, type Contender } from '../lib/compare.js';
import { CONNECTIONS, PHASE_MS, ROUNDS, type Goal, type Measurement, type SectionResult } from '../lib/measurement.js';
import { findNginx, NGINX_INSTALL_HINT } from '../lib/nginx.js';
import { startServerChild } from '../lib/server-child.js';

const L7 = 'lab proxy l7';
const L7_FAST = 'lab proxy l7-fast';
const HTTP_PROXY = 'http-proxy + keep-alive Agent';
const NGINX = 'nginx (1 worker, keepalive 32)';

/** p99 of a over p99 of b, found by label; 0 when either is missing. */
function p99Ratio(rows: Measurement[], a: string, b: string): number {
  const x = rows.find((m) => m.label === a);
  const y = rows.find((m) => m.label === b);
  return x === undefined || y === undefined || y.p99 === 0 ? 0 : x.p99 / y.p99;
}

/**
 * Issue 4's speed goals: the L7 proxy against a plain Node proxy library and
 * against nginx, each in its own process in front of the same lab origin
 * (one more child process, started once and shared), all driven by autocannon.
 * Without nginx the section says how to install it and runs the other two.
 */
export async function l7Section(): Promise<SectionResult> {
  const origin = await startServerChild('lab');
  const nginx = findNginx();
  try {
    const port = new URL(origin.url).port;
    const contenders: Contender[] = [
      { label: L7, server: `l7@${port}`, run: autocannonFor },
      { label: L7_FAST, server: `l7-fast@${port}`, run: autocannonFor },
      { label: HTTP_PROXY, server: `http-proxy@${port}`, run: autocannonFor },
    ];
    if (nginx !== null) contenders.push({ label: NGINX, server: `nginx@${port}`, run: autocannonFor });
    const rows = await compare(contenders);
    const goals: Goal[] = [
      { label: 'l7 / http-proxy req/s', value: rpsRatio(rows, L7, HTTP_PROXY), op: '>=', target: 1, unit: 'x', judged: true },
      { label: 'l7-fast / l7 req/s', value: rpsRatio(rows, L7_FAST, L7), op: '>=', target: 1, unit: 'x', judged: false },
    ];
    if (nginx !== null) {
      goals.push(
        { label: 'l7 / nginx req/s', value: rpsRatio(rows, L7, NGINX), op: '>=', target: 0.7, unit: 'x', judged: true },
        { label: 'l7 / nginx p99', value: p99Ratio(rows, L7, NGINX), op: '<=', target: 1.5, unit: 'x', judged: true },
        { label: 'l7-fast / nginx req/s', value: rpsRatio(rows, L7_FAST, NGINX), op: '>=', target: 0.7, unit: 'x', judged: true },
        { label: 'l7-fast / nginx p99', value: p99Ratio(rows, L7_FAST, NGINX), op: '<=', target: 1.5, unit: 'x', judged: true },
      );
    }
    return {
      title: 'L7 proxy: lab proxy l7 and l7-fast vs http-proxy vs nginx',
      note:
        `the lab origin in one child process, each proxy in its own in front of it; ` +
        `autocannon, ${CONNECTIONS} connections, pipelining 1; best of ${ROUNDS}×${PHASE_MS}ms`,
      rows,
      goals,
      lines: nginx === null ? [`nginx row and its two goals skipped: nginx is not installed. Install it with: ${NGINX_INSTALL_HINT}`] : [],
    };
  } finally {
    await origin.stop();
  }
}
