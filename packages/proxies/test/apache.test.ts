import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { apache } from '../src/kinds/apache.js';
import { agent, idleCloseMs, send } from './helpers/peer-client.js';
import { deadPort, origin } from './helpers/peer-origin.js';
import {
  closeAll,
  expectCleanClose,
  expectPeerMissing,
  get,
  peerComponent,
  portEchoOrigin,
  started,
  type Closers,
} from './helpers/real-proxy-fixture.js';

// These run the real Apache httpd; where it is absent only the missing-peer tests run.
// Built from the component, as peerKind() does from the registry; knobs parsed as a scenario's are (durations → ms).
const { installed, knobSchema, create } = peerComponent(apache, { parseKnobs: true });

const closers: Closers = [];
afterEach(() => closeAll(closers));

describe('proxy kind apache (the real Apache httpd)', () => {
  it('rejects listen() with LAB_ERR_PEER_MISSING and the install command when apache2 is absent', async () => {
    await expectPeerMissing(await create({}, [1], '/nonexistent/apache2'), 'apt-get update && apt-get install -y apache2');
    expect(apache.missing({ LAB_APACHE: 'none' })).toContain('apt-get install -y apache2');
  });

  it('refuses a ttl or retry that is not whole seconds: mod_proxy would read 500ms as 500 s', () => {
    expect(knobSchema.safeParse({ ttl: '500ms' }).success).toBe(false);
    expect(knobSchema.safeParse({ ttl: '0s' }).success).toBe(false);
    expect(knobSchema.safeParse({ retry: '0s', ttl: '2s' }).success).toBe(true);
  });

  it.skipIf(!installed)('default: sequential requests, from one client connection or two, share one origin connection', async () => {
    const o = await portEchoOrigin(closers);
    const port = await started(await create({}, [o.port]), closers);
    const keep = agent(closers, true);
    const replies = [await get(port, keep), await get(port, keep), await get(port, agent(closers, false))];
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(o.connPorts).toHaveLength(1);
    expect(replies.map((r) => Number(r.body))).toEqual([o.connPorts[0], o.connPorts[0], o.connPorts[0]]);
  });

  it.skipIf(!installed)('disablereuse: a new origin connection per request', async () => {
    const o = await portEchoOrigin(closers);
    const port = await started(await create({ disablereuse: true }, [o.port]), closers);
    const keep = agent(closers, true);
    const replies = [await get(port, keep), await get(port, keep)];
    expect(o.connPorts).toHaveLength(2);
    expect(replies.map((r) => Number(r.body))).toEqual(o.connPorts);
  });

  // As HAProxy's http-reuse safe: a client connection's first request gets a connection of its own.
  it.skipIf(!installed)('initialNotPooled: two clients one after the other → two origin connections', async () => {
    const o = await portEchoOrigin(closers);
    const port = await started(await create({ initialNotPooled: true }, [o.port]), closers);
    const replies = [await get(port, agent(closers, false)), await get(port, agent(closers, false))];
    expect(o.connPorts).toHaveLength(2);
    expect(replies.map((r) => Number(r.body))).toEqual(o.connPorts);
  });

  // Two rounds of two concurrent requests to an origin slow enough that both are in flight at once:
  // round one opens two connections; round two reuses what the pool kept.
  it.skipIf(!installed).each([
    { knobs: {}, originConnections: 2 },
    { knobs: { max: 1 }, originConnections: 1 },
    { knobs: { disablereuse: true }, originConnections: 4 },
  ])('$knobs: two rounds of two concurrent requests → $originConnections origin connection(s)', async ({ knobs, originConnections }) => {
    const o = await origin(closers, (_req, res) => setTimeout(() => res.end('ok'), 100));
    const port = await started(await create(knobs, [o.port]), closers);
    const a = agent(closers, false);
    for (let round = 0; round < 2; round++)
      expect((await Promise.all([get(port, a), get(port, a)])).map((r) => r.status)).toEqual([200, 200]);
    expect(o.connPorts).toHaveLength(originConnections);
  });

  // ttl is checked when a connection is taken from the pool, not on a timer: the stale one is still open
  // at the origin until the next request comes.
  it.skipIf(!installed)('ttl 1s: a connection idle 1.5 s is replaced at the next request, and only then closed', async () => {
    const o = await origin(closers);
    const port = await started(await create({ ttl: '1s' }, [o.port]), closers);
    const keep = agent(closers, true);
    await get(port, keep);
    await sleep(1500);
    expect(o.closed).toEqual([]);
    await get(port, keep);
    expect(o.connPorts).toHaveLength(2);
    await expect.poll(() => o.closed, { timeout: 2000 }).toEqual([o.connPorts[0]]);
  });

  // The first origin is down when the balancer first tries it, then comes back: httpd skips a member that
  // failed for retry= (60 s by default), and fails over to the other meanwhile.
  it.skipIf(!installed).each([
    { knobs: {}, back: 0 },
    { knobs: { retry: '0s' }, back: 2 },
  ])('$knobs: an origin back after a failure gets $back of 4 requests', async ({ knobs, back }) => {
    const o = await portEchoOrigin(closers);
    const late = await deadPort();
    const port = await started(await create(knobs, [late, o.port]), closers);
    const a = agent(closers, false);
    expect([(await get(port, a)).status, (await get(port, a)).status]).toEqual([200, 200]);
    await origin(closers, (_req, res) => res.end('late'), { port: late });
    const replies = [];
    for (let i = 0; i < 4; i++) replies.push((await get(port, a)).body);
    expect(replies.filter((b) => b === 'late')).toHaveLength(back);
  });

  it.skipIf(!installed)('keepAliveTimeout 300ms: httpd closes an idle client connection after it (default 5s)', async () => {
    const o = await portEchoOrigin(closers);
    const port = await started(await create({ keepAliveTimeout: '300ms' }, [o.port]), closers);
    const ms = await idleCloseMs(port, 3000);
    expect(ms).not.toBeNull();
    expect(ms).toBeGreaterThan(200);
  });

  it.skipIf(!installed)('directives reach the VirtualHost httpd runs: Header adds a response header', async () => {
    const o = await portEchoOrigin(closers);
    const proxy = await create({ directives: ['Header always set X-Lab-Directive apache'] }, [o.port]);
    const port = await started(proxy, closers);
    const r = await send(port, agent(closers, false), 'GET');
    expect(r.status).toBe(200);
    expect(r.headers['x-lab-directive']).toBe('apache');
    expect(proxy.config).toMatch(/<VirtualHost [^>]*>[\s\S]*Header always set X-Lab-Directive apache\n<\/VirtualHost>/);
  });

  it.skipIf(!installed)("ignores the origin's Keep-Alive: timeout=1 hint: reuses the connection 1.5 s later", async () => {
    const o = await origin(closers, (req, res) => {
      res.setHeader('Keep-Alive', 'timeout=1');
      res.end(String(req.socket.remotePort));
    });
    const port = await started(await create({}, [o.port]), closers);
    const keep = agent(closers, true);
    await get(port, keep);
    await sleep(1500);
    await get(port, keep);
    expect(o.connPorts).toHaveLength(1);
  });

  // The origin reads the second request on a connection and closes it unanswered, as one closing an idle
  // connection just as the proxy reuses it. httpd never resends: after an earlier request on the client
  // connection it closes that connection unanswered, so the client may resend; on a client's first request, 502.
  it.skipIf(!installed).each([
    { client: 'kept-alive', second: 'ECONNRESET' },
    { client: 'new', second: 502 },
  ])('a pooled connection dropped under a GET on a $client client connection: the client gets $second', async ({ client, second }) => {
    const o = await origin(closers, undefined, { dropSecond: true });
    const port = await started(await create({}, [o.port]), closers);
    const keep = agent(closers, true);
    expect((await send(port, keep, 'GET')).status).toBe(200);
    expect((await send(port, client === 'new' ? agent(closers, false) : keep, 'GET')).status).toBe(second);
  });

  it.skipIf(!installed)('close() stops the child, frees the port and removes the temp dir; twice is fine', async () => {
    const o = await portEchoOrigin(closers);
    await expectCleanClose(await create({}, [o.port]), closers);
  });
});
