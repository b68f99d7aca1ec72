import { LAB_HEADERS, LabError } from '@keepalive-lab/core';
import { describe, expect, it, vi } from 'vitest';
import { plannedGaps, runLoad, type LoadEngine, type LoadOptions } from '../src/index.js';
import { okResponse, test } from './test-origin.js';

/**
 * Pacing: `interval` (a schedule of starts) and `intervalSweep` (gaps stepped
 * from `from` to `to`; at concurrency 1 measured from the previous request's
 * end, the socket's idle time). Real sockets and real timers. The engines
 * ask again when a timer fires (node may fire one a fraction of a ms early),
 * so a request never starts before its time: the lower bounds are exact.
 * Upper bounds are whole-run and generous (2 s over plan), or name their
 * margin, for a busy 2-core machine.
 */
const ms = (n: number | null | undefined): number => n ?? Number.NaN;
/** Float slack for `start − end ≥ gap` (both sides are sums of sub-ms floats); not timing slack. */
const EPS = 1e-6;
/** The run's start on the records' clock: durationMs is measured from it to the last end. */
const runStart = (r: { records: { end: number | null }[]; durationMs: number }): number =>
  Math.max(...r.records.map((x) => ms(x.end))) - r.durationMs;
const delayed = (delay: number) => (req: Parameters<typeof okResponse>[0], res: Parameters<typeof okResponse>[1]) => {
  setTimeout(() => okResponse(req, res), delay);
};

describe.each<LoadEngine>(['agent', 'fast'])('engine %s: pacing', (engine) => {
  test('intervalSweep 100→300 ms over 5 requests at concurrency 1: each starts ≥ its gap after the previous end, all on one reused socket', async ({
    startOrigin,
  }) => {
    const origin = await startOrigin();
    const { records, gaps, durationMs } = await runLoad({
      url: origin.url,
      requests: 5,
      concurrency: 1,
      keepAlive: true,
      maxSockets: 1,
      method: 'GET',
      engine,
      intervalSweep: { from: 100, to: 300 },
    });
    expect(records.map((r) => [r.status, r.error])).toEqual(Array(5).fill([200, null]));
    // The planned gaps come back with the result: 100, 166.7, 233.3, 300.
    expect(gaps).toHaveLength(5);
    [0, 100, 166.667, 233.333, 300].forEach((g, i) => {
      expect(gaps[i]).toBeCloseTo(g, 2);
    });
    for (let i = 1; i < 5; i++) expect(ms(records[i]?.start) - ms(records[i - 1]?.end)).toBeGreaterThanOrEqual(ms(gaps[i]) - EPS);
    const planned = gaps.reduce((a, b) => a + b, 0); // 800
    expect(durationMs).toBeLessThan(planned + 2000);
    // One kept-alive socket, reused after exactly each gap of idle time.
    expect(records.map((r) => r.reused)).toEqual([false, true, true, true, true]);
    expect(new Set(records.map((r) => r.clientPort)).size).toBe(1);
    expect(origin.connectionPorts).toHaveLength(1);
    expect(records.map((r) => r.nthOnConn)).toEqual([1, 2, 3, 4, 5]);
    await expect.poll(() => origin.openConnections).toBe(0);
  });

  test('at concurrency 1 a sweep gap is idle time: a slow response does not eat into it', async ({ startOrigin }) => {
    // Each answer takes 100 ms; measured between starts (as interval is) the 50 ms gap would be gone.
    const origin = await startOrigin({ respond: delayed(100) });
    const { records, gaps } = await runLoad({
      url: origin.url,
      requests: 4,
      concurrency: 1,
      keepAlive: true,
      maxSockets: 1,
      method: 'GET',
      engine,
      intervalSweep: { from: 50, to: 150 },
    });
    expect(gaps).toEqual([0, 50, 100, 150]);
    expect(records.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    for (let i = 1; i < 4; i++) {
      expect(ms(records[i - 1]?.end) - ms(records[i - 1]?.start)).toBeGreaterThanOrEqual(99);
      expect(ms(records[i]?.start) - ms(records[i - 1]?.end)).toBeGreaterThanOrEqual(ms(gaps[i]) - EPS);
    }
    expect(records.map((r) => r.reused)).toEqual([false, true, true, true]);
  });

  // Request n starts ≥ gap_1 + … + gap_{n−1} after the run began, even while earlier ones are in flight.
  test('at concurrency > 1 a sweep is a schedule of starts, as interval is', async ({ startOrigin }) => {
    // Answers take 500 ms; starts are planned at 0, 100, 300 (gaps 100, 200).
    const origin = await startOrigin({ respond: delayed(500) });
    const result = await runLoad({
      url: origin.url,
      requests: 3,
      concurrency: 3,
      keepAlive: true,
      maxSockets: 0,
      method: 'GET',
      engine,
      intervalSweep: { from: 100, to: 200 },
    });
    const { records, gaps, durationMs } = result;
    expect(gaps).toEqual([0, 100, 200]);
    expect(records.map((r) => r.status)).toEqual([200, 200, 200]);
    // Measured from the run's start, as interval is (not from the first start: a busy machine may
    // take a ms or more to issue it).
    const t0 = runStart(result);
    expect(ms(records[1]?.start) - t0).toBeGreaterThanOrEqual(100 - EPS);
    expect(ms(records[2]?.start) - t0).toBeGreaterThanOrEqual(300 - EPS);
    // Not from the previous end: requests 2 and 3 start while request 1 is still waiting for its answer
    // (planned at 100 and 300 against an end ≥ 500: a 200 ms margin for a late timer).
    expect(ms(records[1]?.start)).toBeLessThan(ms(records[0]?.end));
    expect(ms(records[2]?.start)).toBeLessThan(ms(records[0]?.end));
    expect(durationMs).toBeLessThan(300 + 500 + 2000);
  });

  test('interval schedules request n no earlier than (n − 1) × interval after the run began, reusing the freed socket', async ({
    startOrigin,
  }) => {
    const origin = await startOrigin();
    const result = await runLoad({
      url: origin.url,
      requests: 4,
      concurrency: 4,
      keepAlive: true,
      maxSockets: 0,
      method: 'GET',
      engine,
      interval: 100,
    });
    const { records, gaps, durationMs } = result;
    // A schedule, not a gap: a late start does not push the next one back. The engines ask again when
    // a timer fires (node may fire one a fraction of a ms early), so this is an exact lower bound from
    // the run's start, not a window.
    const t0 = runStart(result);
    records.forEach((r, i) => {
      expect(r.start - t0).toBeGreaterThanOrEqual(i * 100 - EPS);
    });
    expect(records.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(gaps).toEqual([0, 100, 100, 100]);
    expect(durationMs).toBeLessThan(300 + 2000);
    // Each answer is back long before the next start: like the Agent, the fast engine sends it on the free socket.
    expect(records.map((r) => r.reused)).toEqual([false, true, true, true]);
    expect(origin.connectionPorts).toHaveLength(1);
    await expect.poll(() => origin.openConnections).toBe(0);
  });

  test('a paced request goes out on a free kept-alive socket rather than opening one, as the Agent picks', async ({ startOrigin }) => {
    // interval 150: r1 at 0 answered at ~200 (its socket kept); r2 at 150 on a second socket, answered at
    // ~250 with Connection: close (its socket gone); r3 at 300 finds one free socket, r1's. 50 ms margins.
    const origin = await startOrigin({
      respond: (req, res) => {
        const id = req.headers[LAB_HEADERS.requestId];
        if (id === 'r1') setTimeout(() => okResponse(req, res), 200);
        else if (id === 'r2') {
          res.setHeader('connection', 'close');
          setTimeout(() => okResponse(req, res), 100);
        } else okResponse(req, res);
      },
    });
    const { records } = await runLoad({
      url: origin.url,
      requests: 3,
      concurrency: 3,
      keepAlive: true,
      maxSockets: 0,
      method: 'GET',
      engine,
      interval: 150,
    });
    expect(records.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(records.map((r) => r.reused)).toEqual([false, false, true]);
    expect(records[2]?.clientPort).toBe(records[0]?.clientPort);
    expect(origin.connectionPorts).toHaveLength(2);
  });

  test('an abort while a paced request waits its turn ends the run at once, nothing more issued', async ({ startOrigin }) => {
    const origin = await startOrigin();
    const ac = new AbortController();
    const t = performance.now();
    const { records, gaps } = await runLoad({
      url: origin.url,
      requests: 10,
      concurrency: 1,
      keepAlive: true,
      maxSockets: 1,
      method: 'GET',
      engine,
      intervalSweep: { from: 5000, to: 5000 },
      signal: ac.signal,
      onRecord: () => setTimeout(() => ac.abort(), 20),
    });
    expect(performance.now() - t).toBeLessThan(2000);
    expect(records.map((r) => r.status)).toEqual([200]);
    expect(gaps).toEqual([0]);
    await expect.poll(() => origin.openConnections).toBe(0);
  });
});

describe('the fast engine without pacing', () => {
  test('sets no timer per request: one per connection (its request timeout), none for pacing', async ({ startOrigin }) => {
    const origin = await startOrigin();
    const original = globalThis.setTimeout;
    let fromEngine = 0;
    // A pass-through that counts the calls made from the fast engine's module (not the origin's, not vitest's).
    const spy = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, delay?: number) => {
      if (new Error().stack?.includes('fast-engine')) fromEngine++;
      return original(fn, delay);
    }) as unknown as typeof setTimeout);
    try {
      const { records } = await runLoad({
        url: origin.url,
        requests: 50,
        concurrency: 2,
        keepAlive: true,
        maxSockets: 2,
        method: 'GET',
        engine: 'fast',
      });
      expect(records.every((r) => r.status === 200)).toBe(true);
    } finally {
      spy.mockRestore();
    }
    expect(fromEngine).toBe(2);
  });
});

describe('pacing options', () => {
  const base: LoadOptions = { url: 'http://127.0.0.1:1/', requests: 5, concurrency: 1, keepAlive: true, maxSockets: 1, method: 'GET' };
  const refusal = async (o: Partial<LoadOptions>): Promise<LabError> => {
    const err: unknown = await runLoad({ ...base, ...o }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LabError);
    expect((err as LabError).code).toBe('LAB_ERR_USAGE');
    return err as LabError;
  };

  it('interval and intervalSweep together are refused, naming both', async () => {
    for (const engine of ['agent', 'fast'] as const) {
      const err = await refusal({ engine, interval: 10, intervalSweep: { from: 100, to: 300 } });
      expect(err.message).toMatch(/\binterval\b/);
      expect(err.message).toMatch(/\bintervalSweep\b/);
      expect(err.details.path).toBe('interval, intervalSweep');
    }
    // interval 0 means "no interval" (the scenario runner always passes it): not a conflict.
    expect(plannedGaps({ requests: 3, interval: 0, intervalSweep: { from: 1, to: 2 } })).toEqual([0, 1, 2]);
  });

  it('a sweep from > to, negative, or not a number is refused, naming the field', async () => {
    expect((await refusal({ intervalSweep: { from: 300, to: 100 } })).message).toMatch(/^intervalSweep: expected from ≤ to/);
    expect((await refusal({ intervalSweep: { from: -1, to: 100 } })).details.path).toBe('intervalSweep.from');
    expect((await refusal({ intervalSweep: { from: 0, to: -5 } })).details.path).toBe('intervalSweep.to');
    expect((await refusal({ intervalSweep: { from: Number.NaN, to: 5 } })).details.path).toBe('intervalSweep.from');
    expect((await refusal({ intervalSweep: { from: 0, to: Infinity } })).details.path).toBe('intervalSweep.to');
    expect((await refusal({ intervalSweep: null as unknown as LoadOptions['intervalSweep'] })).details.path).toBe('intervalSweep');
    expect((await refusal({ interval: -1 })).details.path).toBe('interval');
    // plannedGaps checks as runLoad does.
    expect(() => plannedGaps({ requests: 5, intervalSweep: { from: 2, to: 1 } })).toThrow(LabError);
  });

  it('plannedGaps: gap_k = from + (to − from) × (k − 1) / (requests − 2) before request k + 1, 0 first', () => {
    const g = plannedGaps({ requests: 5, intervalSweep: { from: 100, to: 300 } });
    expect(g).toHaveLength(5);
    expect(g[0]).toBe(0);
    for (let k = 1; k <= 4; k++) expect(g[k]).toBeCloseTo(100 + (200 * (k - 1)) / 3, 10);
    expect(g[4]).toBe(300);
    // nodejs/node#52649's hunt: 950…999 ms in 1 ms steps over 51 requests.
    expect(plannedGaps({ requests: 51, intervalSweep: { from: 950, to: 999 } })).toEqual([
      0,
      ...Array.from({ length: 50 }, (_, i) => 950 + i),
    ]);
    expect(plannedGaps({ requests: 1, intervalSweep: { from: 100, to: 300 } })).toEqual([0]);
    expect(plannedGaps({ requests: 2, intervalSweep: { from: 100, to: 300 } })).toEqual([0, 100]);
    expect(plannedGaps({ requests: 4, intervalSweep: { from: 70, to: 70 } })).toEqual([0, 70, 70, 70]);
    expect(plannedGaps({ requests: 3, interval: 10 })).toEqual([0, 10, 10]);
    expect(plannedGaps({ requests: 3 })).toEqual([0, 0, 0]);
  });
});
