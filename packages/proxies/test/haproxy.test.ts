import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { findPeer, proxyComponent } from '../src/index.js';
import {
  closeAll,
  expectCleanClose,
  expectPeerMissing,
  get,
  peerKind,
  portEchoOrigin,
  started,
  type Closers,
} from './helpers/real-proxy-fixture.js';

// These run the real HAProxy; where it is absent only the missing-peer tests run.
const haproxy = peerKind('haproxy');
const haproxyTcp = peerKind('haproxy-tcp');

const closers: Closers = [];
afterEach(() => closeAll(closers));

/** A client connection per request, closed after it (`Connection: close`). */
function closeAgent(): http.Agent {
  const agent = new http.Agent({ keepAlive: false });
  closers.push(async () => agent.destroy());
  return agent;
}

describe('proxy kinds haproxy and haproxy-tcp (the real HAProxy)', () => {
  it('rejects listen() with LAB_ERR_PEER_MISSING and the install command when HAProxy is absent', async () => {
    await expectPeerMissing(await haproxy.create({}, 1, '/nonexistent/haproxy'), 'apt-get update && apt-get install -y haproxy');
  });

  it('LAB_HAPROXY=none reads as "not installed", with the install line', () => {
    const c = proxyComponent('haproxy');
    const peer = c.peer;
    if (peer === undefined) throw new Error('haproxy has no peer program');
    expect(findPeer(peer, { LAB_HAPROXY: 'none', PATH: '/usr/sbin' })).toBeNull();
    expect(c.missing({ LAB_HAPROXY: 'none' })).toContain('apt-get install -y haproxy');
  });

  // Two clients, one after the other, each on a connection of its own that it closes:
  // safe: the second client's request is the first of its session, so it gets a new origin connection;
  // always: it rides the first client's idle one.
  it.skipIf(!haproxy.installed).each([
    { reuse: 'safe', originConnections: 2 },
    { reuse: 'always', originConnections: 1 },
  ] as const)(
    'reuse $reuse: two clients one after the other → $originConnections origin connection(s)',
    async ({ reuse, originConnections }) => {
      const o = await portEchoOrigin(closers);
      const port = await started(await haproxy.create({ reuse }, o.port), closers);
      const replies = [await get(port, closeAgent()), await get(port, closeAgent())];
      expect(replies.map((r) => r.status)).toEqual([200, 200]);
      expect(o.connPorts).toHaveLength(originConnections);
      // Each reply names the origin-side port of the connection that carried it.
      expect(replies.map((r) => Number(r.body))).toEqual(originConnections === 2 ? o.connPorts : [o.connPorts[0], o.connPorts[0]]);
    },
  );

  // mode tcp: HAProxy sees bytes, not requests, so a kept-alive client connection keeps one server
  // connection (1:1, as pipe-l4) and two closing clients get two, whatever http-reuse would say.
  it.skipIf(!haproxyTcp.installed)('mode tcp: one server connection per client connection, kept for its requests', async () => {
    const o = await portEchoOrigin(closers);
    const proxy = await haproxyTcp.create({}, o.port);
    const port = await started(proxy, closers);
    const keep = new http.Agent({ keepAlive: true, maxSockets: 1 });
    closers.push(async () => keep.destroy());
    const kept = [await get(port, keep), await get(port, keep), await get(port, keep)];
    expect(new Set(kept.map((r) => r.body)).size).toBe(1);
    const closing = [await get(port, closeAgent()), await get(port, closeAgent())];
    // Exactly these three: the lab's readiness check reads the kernel's listen table, so no probe
    // connection is relayed to the origin (it would count as one more upstream connection).
    expect(o.connPorts).toEqual([kept[0], ...closing].map((r) => Number(r?.body)));
    expect(proxy.config).toMatch(/mode tcp/);
  });

  it.skipIf(!haproxy.installed)('close() stops the child, frees the port and removes the temp dir; twice is fine', async () => {
    const o = await portEchoOrigin(closers);
    await expectCleanClose(await haproxy.create({}, o.port), closers);
  });
});
