import { describe, expect, it } from 'vitest';
import { LAB_HEADERS } from '@keepalive-lab/core';
import { runLoad, type LoadEngine } from '../src/index.js';
import { RecordStore } from '../src/record-store.js';
import { okResponse, test } from './test-origin.js';

/**
 * The records, kept compactly while a run goes (a row of typed arrays per
 * request) and whole at the end: one per request, every field, as the
 * origin saw it. Also what the engines save per request: a request id
 * rewritten in place, a timer armed once per connection.
 */
describe.each<LoadEngine>(['agent', 'fast'])('engine %s: the records', (engine) => {
  test('12 requests on one socket: the origin gets r1..r12 (ids rewritten past a digit), each record complete', async ({ startOrigin }) => {
    const origin = await startOrigin();
    const { records } = await runLoad({
      url: origin.url,
      requests: 12,
      concurrency: 1,
      keepAlive: true,
      maxSockets: 1,
      method: 'GET',
      engine,
    });
    const ids = Array.from({ length: 12 }, (_, i) => `r${i + 1}`);
    expect(origin.received.map((r) => r.id)).toEqual(ids);
    const port = records[0]?.clientPort;
    expect(port).toBeTypeOf('number');
    expect(records.map((r) => ({ ...r, start: 0, end: 0 }))).toEqual(
      ids.map((id, i) => ({
        id,
        start: 0,
        end: 0,
        status: 200,
        error: null,
        clientPort: port,
        reused: i > 0,
        originPort: port,
        origin: 'test',
        originConn: 1,
        nthOnConn: i + 1,
        responseHop: { connection: 'keep-alive', 'keep-alive': 'timeout=5' },
      })),
    );
    for (const r of records) expect(r.end).toBeGreaterThanOrEqual(r.start);
  });

  test("a request's timeout counts from its own start, not from when the connection's first request went out", async ({ startOrigin }) => {
    // r1 answered after 200 ms, r2 (on the same socket, sent then) never: r2 fails 300 ms after its start, not 100.
    const origin = await startOrigin({
      respond: (req, res) => {
        if (req.headers[LAB_HEADERS.requestId] === 'r1') setTimeout(() => okResponse(req, res), 200);
      },
    });
    const { records } = await runLoad({
      url: origin.url,
      requests: 2,
      concurrency: 1,
      keepAlive: true,
      maxSockets: 1,
      method: 'GET',
      engine,
      timeout: 300,
    });
    expect(records.map((r) => [r.status, r.error])).toEqual([
      [200, null],
      [null, 'TIMEOUT'],
    ]);
    const r2 = records[1];
    expect((r2?.end ?? 0) - (r2?.start ?? 0)).toBeGreaterThanOrEqual(299);
  });
});

describe('RecordStore', () => {
  it('keeps every row across growth; null stays null, repeated texts come back equal', () => {
    const store = new RecordStore('q', 4);
    for (let i = 0; i < 40; i++) {
      const row = store.add(i);
      store.setSocket(row, i % 3 === 0 ? null : 1000 + i, i > 0);
      if (i % 2 === 0) store.setAnswer(row, 200, 2000 + i, 'o', 7, i + 1, 'keep-alive', i < 20 ? 'timeout=5' : null);
      store.end(row, i + 0.5, i % 2 === 0 ? null : 'ECONNRESET');
    }
    expect(store.size).toBe(40);
    expect(store.record(0)).toEqual({
      id: 'q1',
      start: 0,
      end: 0.5,
      status: 200,
      error: null,
      clientPort: null,
      reused: false,
      originPort: 2000,
      origin: 'o',
      originConn: 7,
      nthOnConn: 1,
      responseHop: { connection: 'keep-alive', 'keep-alive': 'timeout=5' },
    });
    expect(store.record(37)).toMatchObject({
      id: 'q38',
      start: 37,
      end: 37.5,
      status: null,
      error: 'ECONNRESET',
      clientPort: 1037,
      reused: true,
    });
    expect(store.record(39)).toMatchObject({ clientPort: null, responseHop: null });
    expect(store.record(38)).toMatchObject({ originPort: 2038, nthOnConn: 39, responseHop: { connection: 'keep-alive' } });
    expect(store.records().map((r) => r.id)).toEqual(Array.from({ length: 40 }, (_, i) => `q${i + 1}`));
  });
});
