import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { runLoad, type LoadEngine } from '../src/index.js';
import { refusedPort, test } from './test-origin.js';

const distinct = (xs: (number | null)[]): number => new Set(xs.filter((x) => x !== null)).size;

/** The blog's facts hold for both engines: the teaching one (node:http Agent) and the fast one (raw sockets). */
describe.each<LoadEngine>(['agent', 'fast'])('engine %s', (engine) => {
  test('keep-alive with maxSockets 5: 20 requests fired at once share 5 sockets, 15 reused', async ({ startOrigin }) => {
    const origin = await startOrigin();
    const { records } = await runLoad({
      url: origin.url,
      requests: 20,
      concurrency: 20,
      keepAlive: true,
      maxSockets: 5,
      method: 'GET',
      engine,
    });
    expect(records).toHaveLength(20);
    expect(records.map((r) => r.id)).toEqual(Array.from({ length: 20 }, (_, i) => `r${i + 1}`));
    expect(records.every((r) => r.status === 200 && r.error === null)).toBe(true);
    expect(distinct(records.map((r) => r.clientPort))).toBe(5);
    for (const r of records) expect(r.originPort).toBe(r.clientPort);
    expect(records.filter((r) => r.reused === true)).toHaveLength(15);
    expect(records.filter((r) => r.reused === false)).toHaveLength(5);
    expect(origin.connectionPorts).toHaveLength(5);
    // All 20 were issued before the first answer came back: 15 waited in the queue.
    expect(Math.max(...records.map((r) => r.start))).toBeLessThan(Math.min(...records.map((r) => r.end ?? Infinity)));
    // On each socket, the origin numbered the requests 1, 2, 3... in the order they were sent.
    for (const port of new Set(records.map((r) => r.clientPort))) {
      const nths = records.filter((r) => r.clientPort === port).map((r) => r.nthOnConn);
      expect(nths).toEqual(nths.map((_, i) => i + 1));
    }
    await expect.poll(() => origin.openConnections).toBe(0);
  });

  test('without keep-alive every request opens its own connection: 20 distinct ports, none reused', async ({ startOrigin }) => {
    const origin = await startOrigin();
    const { records } = await runLoad({
      url: origin.url,
      requests: 20,
      concurrency: 20,
      keepAlive: false,
      maxSockets: 5,
      method: 'GET',
      engine,
    });
    expect(records.every((r) => r.status === 200)).toBe(true);
    expect(distinct(records.map((r) => r.clientPort))).toBe(20);
    expect(records.every((r) => r.reused === false && r.nthOnConn === 1)).toBe(true);
    for (const r of records) expect(r.originPort).toBe(r.clientPort);
    expect(origin.connectionPorts).toHaveLength(20);
    expect(new Set(origin.connectionPorts).size).toBe(20);
    await expect.poll(() => origin.openConnections).toBe(0);
  });

  test('maxSockets 0 is unlimited: concurrency 8 opens 8 sockets and reuses them', async ({ startOrigin }) => {
    const origin = await startOrigin();
    const { records } = await runLoad({
      url: origin.url,
      requests: 40,
      concurrency: 8,
      keepAlive: true,
      maxSockets: 0,
      method: 'GET',
      engine,
    });
    expect(records.every((r) => r.status === 200)).toBe(true);
    expect(distinct(records.map((r) => r.clientPort))).toBe(8);
    expect(records.filter((r) => r.reused === true)).toHaveLength(32);
    expect(origin.connectionPorts).toHaveLength(8);
  });

  test('a refused port fails every request with ECONNREFUSED and the run still ends', async () => {
    const port = await refusedPort();
    const { records } = await runLoad({
      url: `http://127.0.0.1:${port}/`,
      requests: 6,
      concurrency: 6,
      keepAlive: true,
      maxSockets: 2,
      method: 'GET',
      engine,
    });
    expect(records.map((r) => r.error)).toEqual(Array(6).fill('ECONNREFUSED'));
    expect(records.every((r) => r.status === null && r.clientPort === null && r.end !== null)).toBe(true);
  });

  test('a server that never answers: TIMEOUT after the per-request timeout, and no connection left open', async ({ startOrigin }) => {
    const origin = await startOrigin({ respond: () => undefined });
    const { records } = await runLoad({
      url: origin.url,
      requests: 3,
      concurrency: 3,
      keepAlive: true,
      maxSockets: 0,
      method: 'GET',
      engine,
      timeout: 300,
    });
    expect(records.map((r) => r.error)).toEqual(['TIMEOUT', 'TIMEOUT', 'TIMEOUT']);
    for (const r of records) expect((r.end ?? 0) - r.start).toBeGreaterThanOrEqual(299);
    expect(origin.requests).toBe(3);
    await expect.poll(() => origin.openConnections).toBe(0);
  });

  test('POST bodies reach the origin, byte for byte', async ({ startOrigin }) => {
    const origin = await startOrigin();
    const { records } = await runLoad({
      url: origin.url,
      requests: 10,
      concurrency: 4,
      keepAlive: true,
      maxSockets: 2,
      method: 'POST',
      body: 'hello world',
      engine,
    });
    expect(records.every((r) => r.status === 200)).toBe(true);
    expect(origin.bodyBytes).toBe(110);
    const dflt = await startOrigin();
    await runLoad({ url: dflt.url, requests: 4, concurrency: 4, keepAlive: true, maxSockets: 4, method: 'PUT', engine });
    expect(dflt.bodyBytes).toBe(4 * 'keepalive-lab\n'.length);
  });

  test('a server closing every third request (Connection: close) makes the client reconnect, no request lost', async ({ startOrigin }) => {
    const origin = await startOrigin({
      respond: (_req, res, nth) => {
        if (nth === 3) res.setHeader('connection', 'close');
        res.setHeader('content-length', 3);
        res.end('ok\n');
      },
    });
    const { records, responseBytes } = await runLoad({
      url: origin.url,
      requests: 9,
      concurrency: 1,
      keepAlive: true,
      maxSockets: 1,
      method: 'GET',
      engine,
    });
    expect(records.map((r) => r.status)).toEqual(Array(9).fill(200));
    expect(records.map((r) => r.nthOnConn)).toEqual([1, 2, 3, 1, 2, 3, 1, 2, 3]);
    expect(records.map((r) => r.reused)).toEqual([false, true, true, false, true, true, false, true, true]);
    expect(distinct(records.map((r) => r.clientPort))).toBe(3);
    expect(origin.connectionPorts).toHaveLength(3);
    expect(responseBytes).toBe(27);
  });

  test('chunked and content-length bodies are read to the end and counted', async ({ startOrigin }) => {
    const origin = await startOrigin({
      respond: (_req, res, nth) => {
        if (nth % 2 === 1) {
          res.write('a'.repeat(1000)); // no length set: node sends chunked
          res.end('b'.repeat(70_000));
        } else {
          res.setHeader('content-length', 50_000);
          res.end('c'.repeat(50_000));
        }
      },
    });
    const { records, responseBytes } = await runLoad({
      url: origin.url,
      requests: 6,
      concurrency: 2,
      keepAlive: true,
      maxSockets: 1,
      method: 'GET',
      engine,
    });
    expect(records.every((r) => r.status === 200 && r.error === null)).toBe(true);
    expect(responseBytes).toBe(3 * 71_000 + 3 * 50_000);
    expect(origin.connectionPorts).toHaveLength(1);
  });

  test('statuses are recorded as they are, 5xx included', async ({ startOrigin }) => {
    const origin = await startOrigin({
      respond: (_req, res, nth) => {
        res.statusCode = nth === 2 ? 503 : 204;
        res.end();
      },
    });
    const { records } = await runLoad({
      url: origin.url,
      requests: 3,
      concurrency: 1,
      keepAlive: true,
      maxSockets: 1,
      method: 'GET',
      engine,
    });
    expect(records.map((r) => r.status)).toEqual([204, 503, 204]);
    expect(records.map((r) => r.error)).toEqual([null, null, null]);
  });

  test('an abort signal ends the run: what was in flight ends ABORTED, nothing more is issued', async ({ startOrigin }) => {
    const ac = new AbortController();
    const origin = await startOrigin({ respond: () => ac.abort() });
    const { records } = await runLoad({
      url: origin.url,
      requests: 100,
      concurrency: 4,
      keepAlive: true,
      maxSockets: 2,
      method: 'GET',
      engine,
      signal: ac.signal,
    });
    expect(records).toHaveLength(4);
    expect(records.every((r) => r.error === 'ABORTED')).toBe(true);
    await expect.poll(() => origin.openConnections).toBe(0);
  });
});

// Pacing (interval, intervalSweep) for both engines: pacing.test.ts.

describe.each<LoadEngine>(['agent', 'fast'])('engine %s: what the response said about the connection', (engine) => {
  it('records Connection and Keep-Alive as the response reached the client (responseHop)', async () => {
    const server = http.createServer((_req, res) => {
      res.setHeader('connection', 'keep-alive');
      res.setHeader('keep-alive', 'timeout=1');
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const { records } = await runLoad({
        url: `http://127.0.0.1:${port}/`,
        requests: 2,
        concurrency: 1,
        keepAlive: true,
        maxSockets: 1,
        method: 'GET',
        engine,
      });
      expect(records.map((r) => r.responseHop)).toEqual([
        { connection: 'keep-alive', 'keep-alive': 'timeout=1' },
        { connection: 'keep-alive', 'keep-alive': 'timeout=1' },
      ]);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
