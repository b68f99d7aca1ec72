import { existsSync } from 'node:fs';
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createHaproxyProxy, findHaproxy } from '../src/index.js';
import { closeAll, expectCleanClose, expectPeerMissing, get, portEchoOrigin, started, type Closers } from './helpers/real-proxy-fixture.js';

// These run the real HAProxy; where it is absent only the missing-peer test runs.
const HAPROXY = '/usr/sbin/haproxy';
const hasHaproxy = existsSync(HAPROXY);
if (!hasHaproxy) console.warn(`haproxy.test.ts: HAProxy tests skipped, ${HAPROXY} is absent (apt-get install haproxy)`);

const closers: Closers = [];
afterEach(() => closeAll(closers));

/** A client connection per request, closed after it (`Connection: close`). */
function closeAgent(): http.Agent {
  const agent = new http.Agent({ keepAlive: false });
  closers.push(async () => agent.destroy());
  return agent;
}

describe('createHaproxyProxy (the real HAProxy)', () => {
  it('rejects listen() with LAB_ERR_PEER_MISSING and the install command when HAProxy is absent', async () => {
    await expectPeerMissing(createHaproxyProxy({ targets: [{ host: '127.0.0.1', port: 1 }], binary: '/nonexistent/haproxy' }), 'apt-get update && apt-get install -y haproxy');
  });

  it('LAB_HAPROXY=none reads as "not installed"', () => {
    expect(findHaproxy({ LAB_HAPROXY: 'none', PATH: '/usr/sbin' })).toBeNull();
    expect(findHaproxy({ PATH: '' })).toBe(hasHaproxy ? HAPROXY : null);
  });

  // Two clients, one after the other, each on a connection of its own that it closes:
  // the second client's request is the first of its session.
  // safe: the second client's request is the first of its session, so it gets a new origin connection;
  // always: it rides the first client's idle one.
  it.skipIf(!hasHaproxy).each([
    { reuse: 'safe', originConnections: 2 },
    { reuse: 'always', originConnections: 1 },
  ] as const)('reuse $reuse: two clients one after the other → $originConnections origin connection(s)', async ({ reuse, originConnections }) => {
    const o = await portEchoOrigin(closers);
    const port = await started(createHaproxyProxy({ targets: [{ host: '127.0.0.1', port: o.port }], reuse }), closers);
    const replies = [await get(port, closeAgent()), await get(port, closeAgent())];
    expect(replies.map((r) => r.status)).toEqual([200, 200]);
    expect(o.connPorts).toHaveLength(originConnections);
    // Each reply names the origin-side port of the connection that carried it.
    expect(replies.map((r) => Number(r.body))).toEqual(originConnections === 2 ? o.connPorts : [o.connPorts[0], o.connPorts[0]]);
  });

  it.skipIf(!hasHaproxy)('close() stops the child, frees the port and removes the temp dir; twice is fine', async () => {
    const o = await portEchoOrigin(closers);
    await expectCleanClose(createHaproxyProxy({ targets: [{ host: '127.0.0.1', port: o.port }] }), closers);
  });
});
