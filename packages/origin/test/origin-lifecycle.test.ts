import { describe, expect } from 'vitest';
import { once } from 'node:events';
import { connect } from 'node:net';
import { isLabError } from '@keepalive-lab/core';
import { createOrigin } from '../src/index.js';
import { get, originEvents, test } from './fixtures.js';

describe('origin lifecycle', () => {
  test('close() resolves with sockets open and leaves nothing listening', async ({ lab }) => {
    const { port, recorder, origin } = await lab.start();
    const agent = lab.agent({ keepAlive: true, maxSockets: 1 });
    await get(port, { agent, id: 'before-close' }); // leaves an idle keep-alive socket in the agent
    await lab.raw(port); // a connection that never sends a request
    expect(origin.openSockets).toBe(2);

    const closing = origin.close();
    expect(origin.close()).toBe(closing); // idempotent
    await closing;

    expect(origin.openSockets).toBe(0);
    expect(originEvents(recorder, 'conn-close').map((e) => e.reason)).toEqual(['server-close', 'server-close']);
    const probe = connect(port, '127.0.0.1');
    const [err] = (await once(probe, 'error')) as [NodeJS.ErrnoException];
    expect(err.code).toBe('ECONNREFUSED');
  });

  test('close() lets an answer in progress finish, with Connection: close', async ({ lab }) => {
    const { port, recorder, origin } = await lab.start({ delay: 100 });
    const agent = lab.agent({ keepAlive: true, maxSockets: 1 });

    const reply = get(port, { agent, id: 'in-flight' });
    await expect.poll(() => originEvents(recorder, 'request').length).toBe(1);
    await origin.close();

    expect((await reply).headers).toMatchObject({ connection: 'close', 'x-lab-origin-nth': '1' });
    expect(originEvents(recorder, 'conn-close')).toMatchObject([{ reason: 'server-close', requests: 1 }]);
  });

  test('a port in use rejects with LAB_ERR_PORT_IN_USE', async ({ lab }) => {
    const { port } = await lab.start();
    const second = createOrigin({ listen: { host: '127.0.0.1', port } });

    const err: unknown = await second.listen().then(
      () => null,
      (e: unknown) => e,
    );

    expect(isLabError(err) && err.code).toBe('LAB_ERR_PORT_IN_USE');
    await second.close();
  });

  test('refuses a bad option, naming it', () => {
    expect(() => createOrigin({ keepAliveTimeout: -1 })).toThrow(/keepAliveTimeout: expected a whole number >= 0, found -1/);
  });
});
