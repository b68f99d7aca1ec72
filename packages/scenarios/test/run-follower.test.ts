import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenario, runToDocument, type RunEvent } from '../src/index.js';

/**
 * A run's follower chooses what it pays for (runner.ts, RunFollower): with
 * detail, every recorded event and every ended request; without, only start,
 * ready, the heartbeat (which still counts the requests done) and end.
 */
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lab-follower-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** 12 requests one at a time 40 ms apart through l7: ~0.5 s, so the heartbeat (200 ms) beats at least once mid-run. */
async function followed(detail: boolean): Promise<{ types: string[]; ticks: number[]; requests: number }> {
  const file = join(dir, 'follower.yaml');
  await writeFile(file, 'name: follower\ntitle: follower\nproxy: { kind: l7 }\nclient: { requests: 12, concurrency: 1, interval: 40ms }\n');
  const loaded = await loadScenario(file);
  if (!loaded.ok) throw loaded.error;
  const got: RunEvent[] = [];
  const doc = await runToDocument(loaded.value, { emit: (p) => got.push(p), detail });
  return {
    types: [...new Set(got.map((p) => p.type))],
    ticks: got.flatMap((p) => (p.type === 'tick' ? [p.done] : [])),
    requests: doc.requests.length,
  };
}

describe('a run follower', () => {
  it('without detail: start, ready, ticks that count the requests done, end; no event or request', async () => {
    const r = await followed(false);
    expect(r.requests).toBe(12);
    expect(r.types).toEqual(['start', 'ready', 'tick', 'end']);
    expect(r.ticks.length).toBeGreaterThan(0);
    // The count moves without any record made for it.
    expect(Math.max(...r.ticks)).toBeGreaterThan(0);
    expect(r.ticks).toEqual([...r.ticks].sort((a, b) => a - b));
  });

  it('with detail: every recorded event and every request too', async () => {
    const r = await followed(true);
    expect(r.types).toEqual(expect.arrayContaining(['start', 'ready', 'tick', 'event', 'request', 'end']));
  });
});
