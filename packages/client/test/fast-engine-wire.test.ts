import { describe, expect } from 'vitest';
import { runLoad } from '../src/index.js';
import { test } from './test-origin.js';

/** The fast engine against exact bytes from a raw server: what nginx- or HTTP/1.0-style peers do. */
describe('fast engine on the wire', () => {
  test('sends one request per id with the lab header, and reads a body delimited by the server closing', async ({ startRaw }) => {
    const seen: string[] = [];
    const url = await startRaw((s) => {
      s.once('data', (b: Buffer) => {
        seen.push(b.toString('latin1'));
        s.end('HTTP/1.0 200 OK\r\nx-lab-origin-port: 1\r\n\r\nuntil-eof');
      });
    });
    const { records, responseBytes } = await runLoad({
      url: `${url}p?q=1`,
      requests: 3,
      concurrency: 1,
      keepAlive: true,
      maxSockets: 1,
      method: 'GET',
      engine: 'fast',
      idPrefix: 'x-',
    });
    expect(records.map((r) => [r.id, r.status, r.error, r.reused])).toEqual([
      ['x-1', 200, null, false],
      ['x-2', 200, null, false],
      ['x-3', 200, null, false],
    ]);
    expect(responseBytes).toBe(27);
    expect(seen[0]).toMatch(
      /^GET \/p\?q=1 HTTP\/1\.1\r\nhost: 127\.0\.0\.1:\d+\r\nconnection: keep-alive\r\nx-lab-request-id: x-1\r\n\r\n$/,
    );
    expect(seen.map((s) => /x-lab-request-id: (\S+)/.exec(s)?.[1])).toEqual(['x-1', 'x-2', 'x-3']);
  });

  test('a reset before the response ends is ECONNRESET on that request only', async ({ startRaw }) => {
    let n = 0;
    const url = await startRaw((s) => {
      s.on('data', () => {
        n++;
        if (n === 2) s.resetAndDestroy();
        else s.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
      });
    });
    const { records } = await runLoad({ url, requests: 3, concurrency: 1, keepAlive: true, maxSockets: 1, method: 'GET', engine: 'fast' });
    expect(records.map((r) => r.error)).toEqual([null, 'ECONNRESET', null]);
    expect(records.map((r) => r.reused)).toEqual([false, true, false]);
  });

  // A close without a byte (FIN) and a reset are different failures: both engines say EOF for the first.
  test.for(['fast', 'agent'] as const)('%s engine: a close without an answer is EOF, a reset ECONNRESET', async (engine, { startRaw }) => {
    let n = 0;
    const url = await startRaw((s) => {
      s.on('data', () => {
        n++;
        if (n === 2) s.end();
        else if (n === 3) s.resetAndDestroy();
        else s.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
      });
    });
    const { records } = await runLoad({ url, requests: 4, concurrency: 1, keepAlive: true, maxSockets: 1, method: 'GET', engine });
    expect(records.map((r) => r.error)).toEqual([null, 'EOF', 'ECONNRESET', null]);
  });

  test('a response that is not HTTP ends the request with HPE_INVALID_RESPONSE', async ({ startRaw }) => {
    const url = await startRaw((s) => s.once('data', () => s.write('hello\r\n\r\n')));
    const { records } = await runLoad({ url, requests: 2, concurrency: 1, keepAlive: true, maxSockets: 1, method: 'GET', engine: 'fast' });
    expect(records.map((r) => r.error)).toEqual(['HPE_INVALID_RESPONSE', 'HPE_INVALID_RESPONSE']);
  });
});
