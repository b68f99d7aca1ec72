import { describe, expect } from 'vitest';
import type { LabEvent } from '@keepalive-lab/core';
import { once } from 'node:events';
import { request } from 'node:http';
import { connClose, originEvents, test, waitForEvent } from './fixtures.js';
import { exchange, GET } from './raw-client.js';

describe('origin fault knobs', () => {
  test('dropOnReuse answers the first request and closes on the second without a byte', async ({ lab }) => {
    const { port, recorder, origin } = await lab.start({ faults: { dropOnReuse: true } });
    const socket = await lab.raw(port);

    const first = await exchange(socket, GET('fresh'));
    expect(first.statusLine).toBe('HTTP/1.1 200 OK');

    let after = 0;
    socket.on('data', (c: Buffer) => (after += c.length));
    socket.on('error', () => {
      // A reset instead of a FIN is as valid an outcome here; 'close' below is what we assert.
    });
    socket.write(GET('stale'));
    await once(socket, 'close');

    expect(after).toBe(0);
    expect(originEvents(recorder, 'request').map((e) => [e.id, e.nth])).toEqual([
      ['fresh', 1],
      ['stale', 2],
    ]);
    expect(originEvents(recorder, 'fault')).toMatchObject([{ fault: 'dropOnReuse', conn: 1, id: 'stale' }]);
    expect(await waitForEvent(recorder, connClose(1))).toMatchObject({ reason: 'fault', requests: 1 });
    expect(origin.counters).toMatchObject({ requestsReceived: 2, requestsAnswered: 1, faults: 1 });
  });

  test('resetMidResponse leaves the client with ECONNRESET, not a complete body', async ({ lab }) => {
    const { port, recorder } = await lab.start({ responseBytes: 64 * 1024, faults: { resetMidResponse: true } });

    const outcome = await new Promise<{ code: string | undefined; received: number; complete: boolean }>((resolve) => {
      let received = 0;
      const req = request({ host: '127.0.0.1', port, agent: false, headers: { 'x-lab-request-id': 'cut' } }, (res) => {
        res.on('data', (c: Buffer) => (received += c.length));
        res.on('end', () => resolve({ code: undefined, received, complete: res.complete }));
        res.on('error', (err: NodeJS.ErrnoException) => resolve({ code: err.code, received, complete: res.complete }));
      });
      req.on('error', (err: NodeJS.ErrnoException) => resolve({ code: err.code, received, complete: false }));
      req.end();
    });

    expect(outcome.complete).toBe(false);
    expect(outcome.code).toBe('ECONNRESET');
    expect(outcome.received).toBeLessThan(64 * 1024);
    expect(originEvents(recorder, 'fault')).toMatchObject([{ fault: 'resetMidResponse', id: 'cut', conn: 1 }]);
    expect(await waitForEvent(recorder, connClose(1))).toMatchObject({ reason: 'fault', requests: 0 });
  });

  test('silent reads the request, never answers, and close() still finishes', async ({ lab }) => {
    const { port, recorder, origin } = await lab.start({ faults: { silent: true } });
    const socket = await lab.raw(port);
    let received = 0;
    socket.on('data', (c: Buffer) => (received += c.length));

    socket.write('POST / HTTP/1.1\r\nHost: lab\r\nx-lab-request-id: hung\r\nContent-Length: 5\r\n\r\nhello');
    const fault = await waitForEvent(recorder, (e): e is Extract<typeof e, { event: 'fault' }> => e.event === 'fault');
    expect(fault).toMatchObject({ fault: 'silent', id: 'hung' });
    expect(originEvents(recorder, 'request')).toMatchObject([{ id: 'hung', bytes: 5, nth: 1 }]);

    await origin.close();

    expect(received).toBe(0);
    expect(origin.openSockets).toBe(0);
    expect(await waitForEvent(recorder, connClose(1))).toMatchObject({ reason: 'server-close', requests: 0 });
  });
});

describe('origin down for a while', () => {
  test('downFor refuses connections, then serves on the same port', async ({ lab }) => {
    const { port, recorder } = await lab.start({ faults: { downFor: 300 } });
    const refused = await new Promise<string>((resolve) => {
      const req = request({ host: '127.0.0.1', port, agent: false }, () => resolve('answered'));
      req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
      req.end();
    });
    expect(refused).toBe('ECONNREFUSED');
    await waitForEvent(recorder, (e): e is Extract<LabEvent, { event: 'fault' }> => e.event === 'fault' && e.fault === 'up');
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(200);
    expect(originEvents(recorder, 'fault').map((e) => e.fault)).toEqual(['down', 'up']);
  });

  // A scenario starts the outage once its proxies are up (a slow peer would otherwise sleep through it).
  test('outageOnCue: up after listen(), down only from beginOutage()', async ({ lab }) => {
    const { port, origin } = await lab.start({ faults: { downFor: 300, outageOnCue: true } });
    const attempt = () =>
      new Promise<string>((resolve) => {
        const req = request({ host: '127.0.0.1', port, agent: false }, (res) => {
          res.resume();
          res.on('end', () => resolve(String(res.statusCode)));
        });
        req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
        req.end();
      });
    expect(await attempt()).toBe('200');
    await origin.beginOutage();
    expect(await attempt()).toBe('ECONNREFUSED');
  });
});
