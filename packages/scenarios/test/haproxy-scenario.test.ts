import { describe, expect, it } from 'vitest';
import type { RequestRecord } from '@keepalive-lab/core';
import { proxyComponent } from '@keepalive-lab/proxies';
import { BUILTIN_SCENARIO_DIR, loadScenario, runToDocument } from '../src/index.js';

// close-clients-haproxy runs the real HAProxy; without it the run can only fail with
// LAB_ERR_PEER_MISSING (covered in packages/proxies/test/haproxy.test.ts), so the
// facts below are skipped, visibly, rather than passed.
const missing = proxyComponent('haproxy').missing();
const hasHaproxy = missing === null;
if (missing !== null) console.warn(`haproxy-scenario.test.ts: skipped: ${missing}`);

const originPorts = (rs: RequestRecord[]) => new Set(rs.map((r) => r.originPort));

/** Recomputed from the per-request records, as shipped-scenarios.test.ts does. */
describe('close-clients-haproxy through the real HAProxy', () => {
  it.skipIf(!hasHaproxy)(
    'safe: every request on an origin connection of its own; always: never more connections than requests',
    async () => {
      const loaded = await loadScenario(`${BUILTIN_SCENARIO_DIR}close-clients-haproxy.yaml`);
      if (!loaded.ok) throw loaded.error;
      const doc = await runToDocument(loaded.value);
      const byVariant = (v: string) => doc.requests.filter((r) => r.variant === v);
      const safe = byVariant('safe');
      const always = byVariant('always');
      for (const rs of [safe, always]) {
        expect(rs.filter((r) => r.status === 200)).toHaveLength(100);
        // Connection: close clients: one client port per request.
        expect(new Set(rs.map((r) => r.clientPort)).size).toBe(rs.length);
        // HAProxy records nothing, yet its upstream port is known: the origin saw it.
        expect(rs.filter((r) => r.upstreamPort === null || r.upstreamPort !== r.originPort)).toEqual([]);
        expect(originPorts(rs).size).toBeLessThanOrEqual(100);
      }
      expect(originPorts(safe).size).toBe(100);
      expect(safe.every((r) => r.nthOnConn === 1)).toBe(true);
      // Under always, a request later on an origin connection rode one another client opened.
      const reused = always.filter((r) => (r.nthOnConn ?? 0) > 1);
      expect(originPorts(always).size).toBe(100 - reused.length);
      expect(doc.verdict).toBe('reproduced');
    },
  );
});
