import { describe, expect, it } from 'vitest';
import { BUILTIN_SCENARIO_DIR, loadScenario, runToDocument } from '../src/index.js';

/** Recomputed per request from the records: the origin's drop events against what the client got. */
describe('idle-race-l7: the idle-timeout race as a rule', () => {
  it('race fails exactly the requests the origin dropped in a closing window; every fix has no failure', { timeout: 60_000 }, async () => {
    const loaded = await loadScenario(`${BUILTIN_SCENARIO_DIR}idle-race-l7.yaml`);
    if (!loaded.ok) throw loaded.error;
    const doc = await runToDocument(loaded.value);
    const of = (v: string) => ({
      requests: doc.requests.filter((r) => r.variant === v),
      dropped: new Set(
        doc.events.flatMap((e) =>
          e.variant === v && e.source === 'origin' && e.event === 'fault' && e.fault === 'closeWindow' && e.id !== null ? [e.id] : [],
        ),
      ),
    });
    const race = of('race');
    expect(race.dropped.size).toBeGreaterThanOrEqual(1);
    for (const r of race.requests) {
      const failed = r.status !== 200;
      expect([r.id, failed]).toEqual([r.id, race.dropped.has(r.id)]);
    }
    // Each drop met a connection idle past the origin's 1 s and inside its 500 ms window.
    expect(race.requests.filter((r) => r.status === 502)).toHaveLength(race.dropped.size);
    for (const v of ['fixed-timeouts', 'fixed-hint', 'fixed-retry'])
      expect(
        of(v)
          .requests.filter((r) => r.status !== 200)
          .map((r) => r.id),
      ).toEqual([]);
    // The retry fix: the dropped GETs were sent again and answered.
    const retry = of('fixed-retry');
    expect(retry.dropped.size).toBeGreaterThanOrEqual(1);
    expect(doc.metrics['fixed-retry:proxy.retries']).toBe(retry.dropped.size);
    expect(doc.verdict).toBe('reproduced');
  });
});
