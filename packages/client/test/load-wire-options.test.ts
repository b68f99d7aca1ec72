import { randomBytes } from 'node:crypto';
import { LabError } from '@keepalive-lab/core';
import { describe, expect, it } from 'vitest';
import { loadMetrics, runLoad, type LoadEngine, type LoadOptions } from '../src/index.js';
import { okResponse, test, type ReceivedRequest } from './test-origin.js';

/**
 * What `headers`, `body`, `rate` and `duration` put on the wire, for both
 * engines, read off what the origin received (its header lines, body bytes
 * and arrival times) and the client's records. Time bounds are exact lower
 * bounds (nothing starts before it is due, nothing is issued after the
 * duration) or generous whole-run ceilings, for a busy 2-core machine.
 */
const EPS = 1e-6;
const ms = (n: number | null | undefined): number => n ?? Number.NaN;
/** The run's start on the records' clock: durationMs is measured from it to the last end. */
const runStart = (r: { records: { end: number | null }[]; durationMs: number }): number =>
  Math.max(...r.records.map((x) => ms(x.end))) - r.durationMs;
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};
/** Every value of a header, as the lines arrived (the name in any case). */
const linesOf = (r: ReceivedRequest, name: string): string[] =>
  r.rawHeaders.flatMap((v, i) => (i % 2 === 1 && r.rawHeaders[i - 1]?.toLowerCase() === name ? [v] : []));
const delayed = (delay: number) => (req: Parameters<typeof okResponse>[0], res: Parameters<typeof okResponse>[1]) => {
  setTimeout(() => okResponse(req, res), delay);
};
const base = { concurrency: 2, keepAlive: true, maxSockets: 2, method: 'GET' } as const;

describe.each<LoadEngine>(['agent', 'fast'])('engine %s: options on the wire', (engine) => {
  test("headers arrive as given: the spelling kept, a repeated name as two lines, a Host replacing the URL's", async ({ startOrigin }) => {
    const origin = await startOrigin();
    const { records } = await runLoad({
      ...base,
      url: origin.url,
      requests: 3,
      engine,
      headers: { 'X-Api-Key': 'k1', 'x-multi': ['a', 'b'], Host: 'example.test' },
    });
    expect(records.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(origin.received).toHaveLength(3);
    for (const r of origin.received) {
      const names = r.rawHeaders.filter((_, i) => i % 2 === 0);
      expect(names).toContain('X-Api-Key');
      expect(linesOf(r, 'x-api-key')).toEqual(['k1']);
      expect(linesOf(r, 'x-multi')).toEqual(['a', 'b']);
      expect(linesOf(r, 'host')).toEqual(['example.test']);
      expect(linesOf(r, 'x-lab-request-id')).toEqual([r.id]);
    }
  });

  test('a body arrives byte for byte with its Content-Length, on a GET too, and is counted in bytesSent', async ({ startOrigin }) => {
    const origin = await startOrigin();
    const body = randomBytes(5000);
    const result = await runLoad({ ...base, url: origin.url, requests: 4, engine, body });
    expect(result.records.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(origin.received).toHaveLength(4);
    for (const r of origin.received) {
      expect(r.method).toBe('GET');
      expect(linesOf(r, 'content-length')).toEqual(['5000']);
      expect(r.body.equals(body)).toBe(true);
    }
    expect(result.bytesSent).toBeGreaterThan(4 * 5000);
  });

  test('a string body is sent as its UTF-8 bytes', async ({ startOrigin }) => {
    const origin = await startOrigin();
    const text = 'héllo ✓\r\n\0end';
    await runLoad({ ...base, url: origin.url, requests: 2, engine, method: 'PUT', body: text });
    expect(origin.received.map((r) => r.body.toString('utf8'))).toEqual([text, text]);
    expect(origin.received.map((r) => linesOf(r, 'content-length'))).toEqual([
      [String(Buffer.byteLength(text))],
      [String(Buffer.byteLength(text))],
    ]);
  });

  test('bytesRead and bytesSent are the bytes on the wire, heads and bodies, both ways', async ({ startRaw }) => {
    const answer = Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
    let received = 0;
    const url = await startRaw((s) => {
      s.on('data', (b: Buffer) => {
        received += b.length;
        s.write(answer);
      });
    });
    const result = await runLoad({ ...base, url, requests: 6, concurrency: 1, maxSockets: 1, engine, body: 'abc' });
    expect(result.records.map((r) => r.status)).toEqual(Array(6).fill(200));
    expect(result.bytesRead).toBe(6 * answer.length);
    expect(result.bytesSent).toBe(received);
    const m = loadMetrics(result);
    expect(m['bytes.read']).toBe(6 * answer.length);
    expect(m['bytes.sent']).toBe(received);
  });

  test("rate 50 for 1 s: starts due every 20 ms from the run's start, none early, the origin sees them ~20 ms apart", async ({
    startOrigin,
  }) => {
    const origin = await startOrigin();
    const result = await runLoad({ ...base, url: origin.url, rate: 50, duration: 1000, concurrency: 10, maxSockets: 0, engine });
    const { records, gaps } = result;
    // Due at 0, 20, ..., 980 ms: never more than 50, and a run that kept no rate at all would be far below.
    expect(records.length).toBeLessThanOrEqual(50);
    expect(records.length).toBeGreaterThanOrEqual(25);
    expect(records.every((r) => r.status === 200)).toBe(true);
    expect(gaps.slice(1).every((g) => g === 20)).toBe(true);
    const t0 = runStart(result);
    records.forEach((r, i) => {
      expect(r.start - t0).toBeGreaterThanOrEqual(i * 20 - EPS);
    });
    const startGaps = records.slice(1).map((r, i) => r.start - ms(records[i]?.start));
    expect(Math.abs(median(startGaps) - 20)).toBeLessThanOrEqual(4);
    const arrivals = [...origin.received].sort((a, b) => a.at - b.at);
    const arrivalGaps = arrivals.slice(1).map((r, i) => r.at - ms(arrivals[i]?.at));
    expect(Math.abs(median(arrivalGaps) - 20)).toBeLessThanOrEqual(4);
    const m = loadMetrics(result, 50);
    expect(m['rate.offered']).toBe(50);
    expect(m['rate.late']).toBe(result.late);
  });

  test('rate is an open model: a slow server does not slow the starts; a request due while every slot is busy is late, by its lag', async ({
    startOrigin,
  }) => {
    // Answers take 200 ms; six requests due at 0, 20, ..., 100 ms.
    const origin = await startOrigin({ respond: delayed(200) });
    const open = await runLoad({ ...base, url: origin.url, requests: 6, rate: 50, concurrency: 10, maxSockets: 0, engine });
    // Ten slots: each starts when due, all before the first answer is back (a closed loop would wait for it).
    const firstEnd = Math.min(...open.records.map((r) => ms(r.end)));
    expect(open.records.every((r) => r.start < firstEnd)).toBe(true);
    expect(open.late).toBe(0);

    // Two slots: r3..r6 come due while both are busy, wait for one, and say so.
    const tight = await runLoad({ ...base, url: origin.url, requests: 6, rate: 50, concurrency: 2, maxSockets: 0, engine });
    const r = tight.records;
    expect(r.map((x) => x.status)).toEqual(Array(6).fill(200));
    expect(tight.late).toBe(4);
    expect(ms(r[2]?.start)).toBeGreaterThanOrEqual(Math.min(ms(r[0]?.end), ms(r[1]?.end)));
    // r3 was due at 40 ms and could start only once r1 or r2 had its answer (≥ 200 ms in): lag ≥ 160 ms.
    expect(tight.lags[2]).toBeGreaterThanOrEqual(160 - EPS);
    expect(loadMetrics(tight, 50)['rate.lagMax']).toBeGreaterThanOrEqual(160);
  });

  test('duration alone: requests are issued until it is over, none after, and the run ends', async ({ startOrigin }) => {
    const origin = await startOrigin();
    const result = await runLoad({ ...base, url: origin.url, duration: 500, engine });
    const t0 = runStart(result);
    expect(result.records.length).toBeGreaterThan(0);
    expect(result.records.every((r) => r.status === 200 && r.start - t0 < 500)).toBe(true);
    expect(origin.received).toHaveLength(result.records.length);
    expect(result.durationMs).toBeLessThan(500 + 2000);
  });

  test('requests in flight when the duration ends still get their answer, not an abort', async ({ startOrigin }) => {
    const origin = await startOrigin({ respond: delayed(300) });
    const result = await runLoad({ ...base, url: origin.url, duration: 100, engine });
    expect(result.records.map((r) => [r.status, r.error])).toEqual([
      [200, null],
      [200, null],
    ]);
    expect(result.durationMs).toBeGreaterThanOrEqual(300 - 1);
  });

  test('requests and duration: whichever comes first (here the requests)', async ({ startOrigin }) => {
    const origin = await startOrigin();
    const result = await runLoad({ ...base, url: origin.url, requests: 3, duration: 60_000, engine });
    expect(result.records.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(result.durationMs).toBeLessThan(5000);
  });
});

describe('refused options, named', () => {
  const o: LoadOptions = { url: 'http://127.0.0.1:1/', requests: 5, ...base };
  const refusal = async (extra: Partial<LoadOptions>): Promise<LabError> => {
    const err: unknown = await runLoad({ ...o, ...extra }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LabError);
    expect((err as LabError).code).toBe('LAB_ERR_USAGE');
    return err as LabError;
  };

  it('headers the client owns, bad names, line breaks in values, two Hosts', async () => {
    for (const name of ['Content-Length', 'transfer-encoding', 'Connection', 'Expect', 'Upgrade', 'X-Lab-Request-Id']) {
      const err = await refusal({ headers: { [name]: '1' } });
      expect(err.details.path).toBe(`headers.${name}`);
      expect(err.message).toContain('does not write itself');
    }
    expect((await refusal({ headers: { 'bad name': 'x' } })).message).toMatch(/header name/);
    expect((await refusal({ headers: { 'x-a': 'one\r\nx-injected: 1' } })).message).toMatch(/line breaks/);
    expect((await refusal({ headers: { Host: 'a', host: 'b' } })).details.path).toBe('headers.host');
  });

  it('rate with interval or a sweep, a rate or duration ≤ 0, neither requests nor duration, a sweep without requests', async () => {
    expect((await refusal({ rate: 10, interval: 5 })).details.path).toBe('rate, interval');
    expect((await refusal({ rate: 10, intervalSweep: { from: 1, to: 2 } })).details.path).toBe('rate, intervalSweep');
    expect((await refusal({ rate: 0 })).details.path).toBe('rate');
    expect((await refusal({ rate: Number.POSITIVE_INFINITY })).details.path).toBe('rate');
    expect((await refusal({ duration: 0 })).details.path).toBe('duration');
    const { requests: _, ...noRequests } = o;
    const err: unknown = await runLoad(noRequests).catch((e: unknown) => e);
    expect((err as LabError).message).toMatch(/^requests: expected an integer ≥ 1, or a duration/);
    const sweep: unknown = await runLoad({ ...noRequests, duration: 100, intervalSweep: { from: 1, to: 2 } }).catch((e: unknown) => e);
    expect((sweep as LabError).details.path).toBe('intervalSweep');
  });
});
