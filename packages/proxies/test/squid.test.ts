import { afterEach, describe, expect, it } from 'vitest';
import { squid } from '../src/kinds/squid.js';
import { agent, idleClient } from './helpers/peer-client.js';
import { cacheableOrigin } from './helpers/peer-origin.js';
import {
  closeAll,
  expectCleanClose,
  expectPeerMissing,
  get,
  peerComponent,
  started,
  until,
  type Closers,
} from './helpers/real-proxy-fixture.js';

// These run the real Squid; where it is absent only the missing-peer test runs.
// Built from the component itself (as peerKind() does from the registry).
const { installed, create } = peerComponent(squid);

const closers: Closers = [];
afterEach(() => closeAll(closers));

describe('proxy kind squid (the real Squid)', () => {
  it('rejects listen() with LAB_ERR_PEER_MISSING and the install command when squid is absent', async () => {
    await expectPeerMissing(await create({}, [1], '/nonexistent/squid'), 'apt-get update && apt-get install -y squid');
  });

  // Requests, not connections, are counted: Squid opens one connection to each origin at start-up and closes it unused (its peer probe).
  it.skipIf(!installed)('nothing cached: two identical GETs both reach the origin, on one pooled connection', async () => {
    const o = await cacheableOrigin(closers);
    const port = await started(await create({}, [o.port]), closers);
    const keep = agent(closers, true);
    const replies = [await get(port, keep), await get(port, keep)];
    expect(replies.map((r) => r.status)).toEqual([200, 200]);
    expect(o.reqPorts).toHaveLength(2);
    expect(new Set(o.reqPorts).size).toBe(1);
    expect(replies.map((r) => Number(r.body))).toEqual(o.reqPorts);
  });

  it.skipIf(!installed)('pool: false (server_persistent_connections off) → a new origin connection per request', async () => {
    const o = await cacheableOrigin(closers);
    const port = await started(await create({ pool: false }, [o.port]), closers);
    const keep = agent(closers, true);
    const replies = [await get(port, keep), await get(port, keep)];
    expect(replies.map((r) => r.status)).toEqual([200, 200]);
    expect(new Set(o.reqPorts).size).toBe(2);
    expect(replies.map((r) => Number(r.body))).toEqual(o.reqPorts);
  });

  // Timing: Squid closes the idle connection 1–2 s after the reply (its timeouts tick in whole seconds); its default would keep it 1 min.
  it.skipIf(!installed)(
    'poolIdleTimeout 1s (server_idle_pconn_timeout): the idle origin connection is closed, the next request opens one',
    async () => {
      const o = await cacheableOrigin(closers);
      const port = await started(await create({ poolIdleTimeout: 1000 }, [o.port]), closers);
      const keep = agent(closers, true);
      const first = Number((await get(port, keep)).body);
      expect(await until(() => o.closed.includes(first), 4000)).toBe(true);
      const second = Number((await get(port, keep)).body);
      expect(second).not.toBe(first);
    },
  );

  // Timing: 1–2 s; Squid's default client_idle_pconn_timeout is 2 min, far beyond the 4 s allowed here.
  it.skipIf(!installed)('keepAliveTimeout 1s (client_idle_pconn_timeout): an idle client connection is closed', async () => {
    const o = await cacheableOrigin(closers);
    const port = await started(await create({ keepAliveTimeout: 1000 }, [o.port]), closers);
    const { closed, reply } = await idleClient(closers, port, 4000);
    expect(closed).toBe(true);
    expect(reply).toMatch(/^HTTP\/1\.1 200/);
  });

  it.skipIf(!installed)(
    'clientKeepAlive: false (client_persistent_connections off): Squid closes the client connection after each reply',
    async () => {
      const o = await cacheableOrigin(closers);
      const port = await started(await create({ clientKeepAlive: false }, [o.port]), closers);
      const { closed, reply } = await idleClient(closers, port, 1000);
      expect(closed).toBe(true);
      expect(reply).toMatch(/^HTTP\/1\.1 200/);
      expect(reply).toMatch(/\r\nConnection: close\r\n/i);
    },
  );

  // Squid's own retry: a GET that fails on a reused origin connection is sent again on a new one, within forward_max_tries.
  it.skipIf(!installed).each([
    { forwardMaxTries: undefined, second: 200 },
    { forwardMaxTries: 1, second: 502 },
  ])('forwardMaxTries $forwardMaxTries: a GET whose pooled connection the origin drops → $second', async ({ forwardMaxTries, second }) => {
    const o = await cacheableOrigin(closers, { dropSecond: true });
    const port = await started(await create(forwardMaxTries === undefined ? {} : { forwardMaxTries }, [o.port]), closers);
    const keep = agent(closers, true);
    const replies = [await get(port, keep), await get(port, keep)];
    expect(replies.map((r) => r.status)).toEqual([200, second]);
    expect(o.reqPorts[1]).toBe(o.reqPorts[0]);
    // Retried: the second request arrives a second time, on a new connection.
    expect(o.reqPorts).toHaveLength(second === 200 ? 3 : 2);
  });

  // Not strict alternation from the start: Squid 5.7 sends the first two requests to the second origin, then alternates (b b a b a b).
  it.skipIf(!installed)('two origins: requests are spread over both (round-robin parents)', async () => {
    const a = await cacheableOrigin(closers);
    const b = await cacheableOrigin(closers);
    const port = await started(await create({}, [a.port, b.port]), closers);
    const keep = agent(closers, true);
    for (let i = 0; i < 4; i++) await get(port, keep);
    expect(a.reqPorts.length + b.reqPorts.length).toBe(4);
    expect(Math.min(a.reqPorts.length, b.reqPorts.length)).toBeGreaterThan(0);
  });

  it.skipIf(!installed)(
    "directives reach the config Squid runs, ahead of the lab's access rules: http_access deny all → 403 without the origin",
    async () => {
      const o = await cacheableOrigin(closers);
      const proxy = await create({ directives: ['http_access deny all'] }, [o.port]);
      const port = await started(proxy, closers);
      const a = agent(closers, false);
      expect((await get(port, a)).status).toBe(403);
      expect(o.reqPorts).toHaveLength(0);
      expect(proxy.config).toContain('http_access deny all');
    },
  );

  it.skipIf(!installed)('close() stops the child, frees the port and removes the temp dir; twice is fine', async () => {
    const o = await cacheableOrigin(closers);
    await expectCleanClose(await create({}, [o.port]), closers);
  });
});
