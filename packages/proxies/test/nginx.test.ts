import { existsSync } from 'node:fs';
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createNginxProxy } from '../src/index.js';
import { closeAll, expectCleanClose, expectPeerMissing, get, portEchoOrigin, started, type Closers } from './helpers/real-proxy-fixture.js';

// These run the real nginx; where it is absent only the missing-peer test runs.
const NGINX = '/usr/sbin/nginx';
const hasNginx = existsSync(NGINX);
if (!hasNginx) console.warn(`nginx.test.ts: nginx tests skipped, ${NGINX} is absent (apt-get install nginx-light)`);

const closers: Closers = [];
afterEach(() => closeAll(closers));

describe('createNginxProxy (the real nginx)', () => {
  it('rejects listen() with LAB_ERR_PEER_MISSING and the install command when nginx is absent', async () => {
    await expectPeerMissing(createNginxProxy({ targets: [{ host: '127.0.0.1', port: 1 }], binary: '/nonexistent/nginx' }), 'apt-get install -y nginx-light');
  });

  it.skipIf(!hasNginx)('keepalive 8: two sequential requests share one origin connection', async () => {
    const o = await portEchoOrigin(closers);
    const port = await started(createNginxProxy({ targets: [{ host: '127.0.0.1', port: o.port }], keepalive: 8 }), closers);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    closers.push(async () => agent.destroy());
    const replies = [await get(port, agent), await get(port, agent)];
    expect(replies.map((r) => r.status)).toEqual([200, 200]);
    expect(o.connPorts).toHaveLength(1);
    expect(replies.map((r) => Number(r.body))).toEqual([o.connPorts[0], o.connPorts[0]]);
  });

  it.skipIf(!hasNginx)('keepalive 0: a new origin connection per request', async () => {
    const o = await portEchoOrigin(closers);
    const port = await started(createNginxProxy({ targets: [{ host: '127.0.0.1', port: o.port }], keepalive: 0 }), closers);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    closers.push(async () => agent.destroy());
    const replies = [await get(port, agent), await get(port, agent)];
    expect(replies.map((r) => r.status)).toEqual([200, 200]);
    expect(o.connPorts).toHaveLength(2);
    expect(replies.map((r) => Number(r.body))).toEqual(o.connPorts);
  });

  it.skipIf(!hasNginx)('close() stops the child, frees the port and removes the temp dir; twice is fine', async () => {
    const o = await portEchoOrigin(closers);
    await expectCleanClose(createNginxProxy({ targets: [{ host: '127.0.0.1', port: o.port }] }), closers);
  });
});
