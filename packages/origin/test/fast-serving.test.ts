import { describe, expect } from 'vitest';
import { once } from 'node:events';
import { connect } from 'node:net';
import { isLabError } from '@keepalive-lab/core';
import { createOrigin } from '../src/index.js';
import { connClose, get, originEvents, test, waitForEvent } from './fixtures.js';
import { exchange, GET } from './raw-client.js';
import { converse } from './fast-support.js';

const fast = { engine: 'fast' } as const;

describe('fast engine: bodies, bad bytes, close()', () => {
  test('POST bodies are read and counted: Content-Length and chunked', async ({ lab }) => {
    const { port, recorder } = await lab.start(fast);
    const body = Buffer.alloc(100_000, 'b');
    const agent = lab.agent({ keepAlive: true, maxSockets: 1 });
    const sized = await get(port, { agent, method: 'POST', body, id: 'sized' });
    const chunked = await get(port, { agent, method: 'POST', body, chunked: true, id: 'chunked' });
    const empty = await get(port, { agent, method: 'POST', body: Buffer.alloc(0), id: 'empty' });

    expect([sized.status, chunked.status, empty.status]).toEqual([200, 200, 200]);
    expect(originEvents(recorder, 'request').map((e) => [e.id, e.method, e.bytes, e.nth])).toEqual([
      ['sized', 'POST', 100_000, 1],
      ['chunked', 'POST', 100_000, 2],
      ['empty', 'POST', 0, 3],
    ]);
  });

  test('bytes llhttp refuses: 400 with Connection: close, closed; another client is served meanwhile', async ({ lab }) => {
    const { port, recorder } = await lab.start(fast);
    const good = await lab.raw(port);
    await exchange(good, GET('before'));

    const bad = await converse(port, 'GET / HTTP/1.1\r\nHost: lab\r\nContent-Length: x\r\n\r\n', { linger: 1000 });
    expect(bad.raw).toBe('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    expect(bad.closed).toBe(true);
    // As the node engine records it: node destroys the socket with the parse error.
    expect(await waitForEvent(recorder, connClose(2))).toMatchObject({ reason: 'error', requests: 0 });

    const after = await exchange(good, GET('after'));
    expect([after.statusLine, after.headers.get('x-lab-origin-nth')]).toEqual(['HTTP/1.1 200 OK', '2']);
    const fresh = await converse(port, GET('fresh'));
    expect(fresh.responses[0]?.statusLine).toBe('HTTP/1.1 200 OK');
  });

  test('an oversized head: 431', async ({ lab }) => {
    const { port } = await lab.start(fast);
    const talk = await converse(port, `GET / HTTP/1.1\r\nHost: lab\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`, { linger: 1000 });
    expect(talk.raw).toBe('HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n');
    expect(talk.closed).toBe(true);
  });

  test('close(): idle connections end at once (server-close), a busy one gets its answer with Connection: close; no socket left', async ({
    lab,
  }) => {
    const { origin, port, recorder } = await lab.start({ ...fast, delay: 200 });
    const idle = await lab.raw(port);
    await exchange(idle, GET('first'));
    const busy = await lab.raw(port);
    const answer = exchange(busy, GET('busy'));
    await waitForEvent(recorder, (e): e is never => e.event === 'request' && e.id === 'busy');

    const closeAt = performance.now();
    const idleEnded = once(idle, 'end').then(() => performance.now() - closeAt);
    await origin.close();
    // At once: not by close()'s 500 ms grace period.
    expect(await idleEnded).toBeLessThan(150);
    const reply = await answer;
    expect([reply.statusLine, reply.headers.get('connection')]).toEqual(['HTTP/1.1 200 OK', 'close']);
    expect(origin.openSockets).toBe(0);
    expect(await waitForEvent(recorder, connClose(1))).toMatchObject({ reason: 'server-close', requests: 1 });
    expect(await waitForEvent(recorder, connClose(2))).toMatchObject({ reason: 'server-close', requests: 1 });
    // The listener is gone too.
    const probe = connect(port, '127.0.0.1');
    const [err] = (await once(probe, 'error')) as [NodeJS.ErrnoException];
    expect(err.code).toBe('ECONNREFUSED');
  });
});

describe('fast engine: the knobs that rest on node:http are refused', () => {
  test.each([
    [{ faults: { resetMidResponse: true } }, 'faults.resetMidResponse', 'false', 'true'],
    [{ faults: { dropOnReuse: true } }, 'faults.dropOnReuse', 'false', 'true'],
    [{ faults: { silent: true } }, 'faults.silent', 'false', 'true'],
    [{ faults: { downFor: 500 } }, 'faults.downFor', '0', '500'],
    [{ closeWindow: 50 }, 'closeWindow', '0', '50'],
    [{ protocol: 'h2c' as const }, 'protocol', "'http/1.1'", '"h2c"'],
  ])('%o with engine fast names %s', (options, path, expected, found) => {
    let caught: unknown;
    try {
      createOrigin({ ...fast, ...options });
    } catch (err) {
      caught = err;
    }
    expect(isLabError(caught) && caught.code).toBe('LAB_ERR_USAGE');
    expect((caught as Error).message).toBe(`origin option ${path}: expected ${expected} (node engine only; engine 'fast'), found ${found}`);
    // The node engine takes them.
    expect(() => createOrigin(options)).not.toThrow();
  });

  test('their defaults, written out, are accepted; an unknown engine is refused', () => {
    const defaults = { protocol: 'http/1.1' as const, closeWindow: 0, faults: { silent: false, downFor: 0, outageOnCue: true } };
    expect(createOrigin({ ...fast, ...defaults }).options.engine).toBe('fast');
    expect(createOrigin().options.engine).toBe('node');
    expect(() => createOrigin({ engine: 'turbo' as 'fast' })).toThrow('origin option engine: expected node or fast, found "turbo"');
  });
});
