import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { caddy } from '../src/kinds/caddy.js';
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

// These run the real Caddy; where it is absent only the missing-peer tests run.
// Built from the component, as peerKind() does from the registry; knobs parsed as a scenario's are (durations → ms).
const { installed, create } = peerComponent(caddy, { parseKnobs: true });

const closers: Closers = [];
afterEach(() => closeAll(closers));

describe('proxy kind caddy (the real Caddy)', () => {
  it('rejects listen() with LAB_ERR_PEER_MISSING and the install command when caddy is absent', async () => {
    await expectPeerMissing(await create({}, [1], '/nonexistent/caddy'), 'apt-get update && apt-get install -y caddy');
    expect(caddy.missing({ LAB_CADDY: 'none' })).toContain('apt-get install -y caddy');
  });

  it.skipIf(!installed)('default: sequential requests, from one client connection or two, share one origin connection', async () => {
    const o = await portEchoOrigin(closers);
    const proxy = await create({}, [o.port]);
    const port = await started(proxy, closers);
    const keep = agent(closers, true);
    const replies = [await get(port, keep), await get(port, keep), await get(port, agent(closers, false))];
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(o.connPorts).toHaveLength(1);
    expect(replies.map((r) => Number(r.body))).toEqual([o.connPorts[0], o.connPorts[0], o.connPorts[0]]);
    // HOME and XDG_CONFIG_HOME in the temp dir: Caddy's autosave lands there, not in /root.
    await expect.poll(() => existsSync(join(proxy.dir ?? '', 'config', 'caddy', 'autosave.json'))).toBe(true);
  });

  it.skipIf(!installed)('keepalive 0 (keepalive off): a new origin connection per request', async () => {
    const o = await portEchoOrigin(closers);
    const port = await started(await create({ keepalive: 0 }, [o.port]), closers);
    const keep = agent(closers, true);
    const replies = [await get(port, keep), await get(port, keep)];
    expect(o.connPorts).toHaveLength(2);
    expect(replies.map((r) => Number(r.body))).toEqual(o.connPorts);
  });

  // Two rounds of two concurrent requests to an origin slow enough that both are in flight at once:
  // round one opens two connections; round two reuses what the pool kept.
  it.skipIf(!installed).each([
    { knobs: {}, originConnections: 2 },
    { knobs: { keepalive: 1 }, originConnections: 3 },
    { knobs: { maxConnsPerHost: 1 }, originConnections: 1 },
  ])('$knobs: two rounds of two concurrent requests → $originConnections origin connection(s)', async ({ knobs, originConnections }) => {
    const o = await origin(closers, (_req, res) => setTimeout(() => res.end('ok'), 100));
    const port = await started(await create(knobs, [o.port]), closers);
    const a = agent(closers, false);
    for (let round = 0; round < 2; round++)
      expect((await Promise.all([get(port, a), get(port, a)])).map((r) => r.status)).toEqual([200, 200]);
    expect(o.connPorts).toHaveLength(originConnections);
  });

  it.skipIf(!installed)('keepaliveTimeout 200ms: a connection idle 1 s is gone, the next request opens another', async () => {
    const o = await portEchoOrigin(closers);
    const port = await started(await create({ keepaliveTimeout: '200ms' }, [o.port]), closers);
    const keep = agent(closers, true);
    await get(port, keep);
    await sleep(1000);
    await get(port, keep);
    expect(o.connPorts).toHaveLength(2);
  });

  // One origin refuses connections; round robin sends every other request there.
  it.skipIf(!installed).each([
    { knobs: {}, statuses: [200, 502] },
    { knobs: { lbRetries: 1 }, statuses: [200] },
    { knobs: { lbTryDuration: '1s' }, statuses: [200] },
  ])('$knobs with a dead origin: replies are $statuses', async ({ knobs, statuses }) => {
    const o = await portEchoOrigin(closers);
    const port = await started(await create(knobs, [await deadPort(), o.port]), closers);
    const a = agent(closers, false);
    const replies = [];
    for (let i = 0; i < 4; i++) replies.push((await get(port, a)).status);
    expect([...new Set(replies)].sort()).toEqual(statuses);
  });

  it.skipIf(!installed)('idleTimeout 300ms: Caddy closes an idle client connection after it (default 5m)', async () => {
    const o = await portEchoOrigin(closers);
    const port = await started(await create({ idleTimeout: '300ms' }, [o.port]), closers);
    const ms = await idleCloseMs(port, 3000);
    expect(ms).not.toBeNull();
    expect(ms).toBeGreaterThan(200);
  });

  it.skipIf(!installed)('directives reach the reverse_proxy block Caddy runs: header_down adds a response header', async () => {
    const o = await portEchoOrigin(closers);
    const proxy = await create({ directives: ['header_down X-Lab-Directive caddy'] }, [o.port]);
    const port = await started(proxy, closers);
    const r = await send(port, agent(closers, false), 'GET');
    expect(r.status).toBe(200);
    expect(r.headers['x-lab-directive']).toBe('caddy');
    expect(proxy.config).toMatch(/reverse_proxy [^{]*\{[^}]*header_down X-Lab-Directive caddy/);
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
  // connection just as the proxy reuses it. Go's transport replays a GET on a new connection; not a POST.
  it.skipIf(!installed).each([
    { method: 'GET', second: 200 },
    { method: 'POST', second: 502 },
  ])('a pooled connection dropped under a $method: the client gets $second', async ({ method, second }) => {
    const o = await origin(closers, undefined, { dropSecond: true });
    const port = await started(await create({}, [o.port]), closers);
    const keep = agent(closers, true);
    expect((await send(port, keep, method)).status).toBe(200);
    expect((await send(port, keep, method)).status).toBe(second);
  });

  it.skipIf(!installed)('close() stops the child, frees the port and removes the temp dir; twice is fine', async () => {
    const o = await portEchoOrigin(closers);
    await expectCleanClose(await create({}, [o.port]), closers);
  });
});
