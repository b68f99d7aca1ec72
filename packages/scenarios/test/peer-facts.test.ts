import { describe, expect, it } from 'vitest';
import { PROXY_COMPONENTS } from '@keepalive-lab/proxies';
import { BUILTIN_SCENARIO_DIR, loadScenario, runMatrix, type LoadedScenario } from '../src/index.js';

/**
 * What each proxy the lab did not write does, pinned: facts that differ
 * between peers, read through the matrix from the two ends. A peer whose
 * generated config were ignored, or whose metrics were derived wrongly, moves
 * a cell here. Kinds not installed are left out (their tests say skipped).
 */
const FACTS: Record<string, { retries: number; leaks: number; clientConns: number }> = {
  // retries: GETs repeated on a fresh connection after a stale pooled one (stale-socket-retry:get, 10 GETs)
  // leaks: requests on which a header named in Connection reached the origin (hop-by-hop-headers, 10)
  // clientConns: client connections for 10 requests to an origin that closes after each (origin-closes)
  nginx: { retries: 9, leaks: 10, clientConns: 1 },
  haproxy: { retries: 0, leaks: 10, clientConns: 1 },
  'haproxy-tcp': { retries: 0, leaks: 10, clientConns: 10 },
  caddy: { retries: 9, leaks: 0, clientConns: 1 },
  apache: { retries: 0, leaks: 0, clientConns: 1 },
  varnish: { retries: 9, leaks: 0, clientConns: 1 },
  squid: { retries: 9, leaks: 0, clientConns: 1 },
  'http-proxy': { retries: 0, leaks: 10, clientConns: 10 },
  'undici-proxy': { retries: 0, leaks: 0, clientConns: 1 },
};

const installed = PROXY_COMPONENTS.filter((c) => c.source !== 'lab' && c.startable && c.missing() === null).map((c) => c.kind);
for (const c of PROXY_COMPONENTS)
  if (c.kind in FACTS && !installed.includes(c.kind)) console.warn(`peer-facts.test.ts: ${c.kind} skipped: ${c.missing()}`);

async function load(name: string): Promise<LoadedScenario> {
  const r = await loadScenario(`${BUILTIN_SCENARIO_DIR}${name}.yaml`);
  if (!r.ok) throw r.error;
  return r.value;
}

describe('every real peer, judged from the two ends', () => {
  it.skipIf(installed.length === 0)(
    'retries, hop-by-hop stripping and client connections differ per peer as measured',
    { timeout: 120_000 },
    async () => {
      const doc = await runMatrix(
        [await load('stale-socket-retry'), await load('hop-by-hop-headers'), await load('origin-closes')],
        installed,
      );
      const value = (label: RegExp, kind: string) => doc.rows.find((r) => label.test(r.label))?.cells.find((c) => c.kind === kind)?.value;
      const measured = Object.fromEntries(
        installed.map((k) => [
          k,
          { retries: value(/retries a GET/, k), leaks: value(/strips a header/, k), clientConns: value(/keeps the client connection/, k) },
        ]),
      );
      expect(measured).toEqual(Object.fromEntries(installed.map((k) => [k, FACTS[k]])));
      expect(doc.runs.filter((r) => r.error !== null)).toEqual([]);
    },
  );
});
