import { describe, expect, it } from 'vitest';
import type { RequestRecord } from '@keepalive-lab/core';
import { proxyComponent } from '@keepalive-lab/proxies';
import { BUILTIN_SCENARIO_DIR, loadScenario, runToDocument } from '../src/index.js';

// keepalive-nginx runs the real nginx; without it the run can only fail with
// LAB_ERR_PEER_MISSING (covered in packages/proxies/test/nginx.test.ts), so the
// facts below are skipped, visibly, rather than passed.
const missing = proxyComponent('nginx').missing();
const hasNginx = missing === null;
if (missing !== null) console.warn(`nginx-scenario.test.ts: skipped: ${missing}`);

const originPorts = (rs: RequestRecord[]) => new Set(rs.map((r) => r.originPort));

/** Recomputed from the per-request records, as shipped-scenarios.test.ts does. */
describe('keepalive-nginx through the real nginx', () => {
  it.skipIf(!hasNginx)('keepalive 8: at most 5 origin connections; keepalive 0: one per request', async () => {
    const loaded = await loadScenario(`${BUILTIN_SCENARIO_DIR}keepalive-nginx.yaml`);
    if (!loaded.ok) throw loaded.error;
    const doc = await runToDocument(loaded.value);
    for (const v of ['keepalive-8', 'keepalive-0']) {
      const rs = doc.requests.filter((r) => r.variant === v);
      expect(rs.map((r) => r.status)).toEqual(Array<number>(20).fill(200));
      expect(new Set(rs.map((r) => r.clientPort)).size).toBe(5);
      // nginx records nothing, yet its upstream port is known: the origin saw it.
      expect(rs.every((r) => r.upstreamPort !== null && r.upstreamPort === r.originPort)).toBe(true);
      expect(Math.max(...rs.map((r) => (r.end ?? Infinity) - r.start))).toBeLessThan(1000);
    }
    const pooled = doc.requests.filter((r) => r.variant === 'keepalive-8');
    expect(originPorts(pooled).size).toBeGreaterThanOrEqual(1);
    expect(originPorts(pooled).size).toBeLessThanOrEqual(5);
    expect(pooled.some((r) => (r.nthOnConn ?? 0) > 1)).toBe(true);
    const unpooled = doc.requests.filter((r) => r.variant === 'keepalive-0');
    expect(originPorts(unpooled).size).toBe(20);
    expect(unpooled.every((r) => r.nthOnConn === 1)).toBe(true);
    expect(doc.verdict).toBe('reproduced');
  });

  // nginx's own account of its silent retries, joined to each request by its id.
  it.skipIf(!hasNginx)(
    'stale-socket-retry through nginx: its access line shows each retried GET going upstream twice, its error log why',
    async () => {
      const loaded = await loadScenario(`${BUILTIN_SCENARIO_DIR}stale-socket-retry.yaml`, ['proxy.kind=nginx']);
      if (!loaded.ok) throw loaded.error;
      const doc = await runToDocument(loaded.value);
      const gets = doc.requests.filter((r) => r.variant === 'get');
      const twice = gets.filter((r) => (r.proxyLog ?? []).some((l) => /upstream=\S+, \S+ upstream_status=502, 200 status=200/.test(l)));
      expect(twice.map((r) => r.id)).toEqual(gets.slice(1).map((r) => r.id));
      expect(doc.metrics['get:proxy.retries']).toBe(twice.length);
      const log = doc.variants?.find((v) => v.name === 'get')?.peers?.[0]?.log ?? '';
      expect(log.match(/upstream prematurely closed connection/g)).toHaveLength(twice.length);
      expect(doc.variants?.[0]?.peers?.[0]?.config).toContain('keepalive 8;');
    },
  );
});
