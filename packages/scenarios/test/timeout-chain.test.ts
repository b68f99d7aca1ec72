import { describe, expect, it } from 'vitest';
import { proxyComponent } from '@keepalive-lab/proxies';
import { BUILTIN_SCENARIO_DIR, loadScenario, runToDocument } from '../src/index.js';

const missing = proxyComponent('nginx').missing();
if (missing !== null) console.warn(`timeout-chain.test.ts: skipped: ${missing}`);

/** Which hop answered each 502, recomputed from the records of the chain nginx → l7 → origin. */
describe('timeout-chain', () => {
  it.skipIf(missing !== null)(
    'broken: every 502 was made by l7 (its reject, nginx logging upstream_status=502) for a request the origin dropped; fixed: none',
    { timeout: 60_000 },
    async () => {
      const loaded = await loadScenario(`${BUILTIN_SCENARIO_DIR}timeout-chain.yaml`);
      if (!loaded.ok) throw loaded.error;
      const doc = await runToDocument(loaded.value);
      const broken = doc.requests.filter((r) => r.variant === 'broken');
      const failed = broken.filter((r) => r.status === 502);
      expect(failed.length).toBeGreaterThanOrEqual(1);
      const rejectedByL7 = new Set(
        doc.events.flatMap((e) =>
          e.variant === 'broken' && e.source === 'proxy' && e.proxy === 'l7' && e.event === 'reject' && e.status === 502 ? [e.id] : [],
        ),
      );
      const dropped = new Set(
        doc.events.flatMap((e) =>
          e.variant === 'broken' && e.source === 'origin' && e.event === 'fault' && e.fault === 'closeWindow' ? [e.id] : [],
        ),
      );
      for (const r of failed) {
        expect(rejectedByL7.has(r.id)).toBe(true);
        expect(dropped.has(r.id)).toBe(true);
        expect(r.proxyLog?.join(' ')).toMatch(/upstream_status=502 status=502/);
      }
      // Every hop's ports: nginx's upstream socket is l7's client side.
      for (const r of broken.filter((x) => x.status === 200)) {
        expect(r.hops?.map((h) => h.kind)).toEqual(['nginx', 'l7']);
        expect(r.hops?.[0]?.upstreamPort).toBe(r.hops?.[1]?.clientPort);
        expect(r.hops?.[1]?.upstreamPort).toBe(r.originPort);
      }
      expect(doc.requests.filter((r) => r.variant === 'fixed' && r.status !== 200)).toEqual([]);
      expect(doc.verdict).toBe('reproduced');
    },
  );
});
