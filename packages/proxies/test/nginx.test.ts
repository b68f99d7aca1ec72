import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
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

// These run the real nginx; where it is absent only the missing-peer test runs.
const nginx = peerKind('nginx');

const closers: Closers = [];
afterEach(() => closeAll(closers));

describe('proxy kind nginx (the real nginx)', () => {
  it('rejects listen() with LAB_ERR_PEER_MISSING and the install command when nginx is absent', async () => {
    await expectPeerMissing(await nginx.create({}, 1, '/nonexistent/nginx'), 'apt-get install -y nginx-light');
  });

  it.skipIf(!nginx.installed)('keepalive 8: two sequential requests share one origin connection', async () => {
    const o = await portEchoOrigin(closers);
    const port = await started(await nginx.create({ keepalive: 8 }, o.port), closers);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    closers.push(async () => agent.destroy());
    const replies = [await get(port, agent), await get(port, agent)];
    expect(replies.map((r) => r.status)).toEqual([200, 200]);
    expect(o.connPorts).toHaveLength(1);
    expect(replies.map((r) => Number(r.body))).toEqual([o.connPorts[0], o.connPorts[0]]);
  });

  it.skipIf(!nginx.installed)('keepalive 0: a new origin connection per request', async () => {
    const o = await portEchoOrigin(closers);
    const port = await started(await nginx.create({ keepalive: 0 }, o.port), closers);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    closers.push(async () => agent.destroy());
    const replies = [await get(port, agent), await get(port, agent)];
    expect(replies.map((r) => r.status)).toEqual([200, 200]);
    expect(o.connPorts).toHaveLength(2);
    expect(replies.map((r) => Number(r.body))).toEqual(o.connPorts);
  });

  it.skipIf(!nginx.installed)('directives reach the config nginx runs: return 204 answers without the origin', async () => {
    const o = await portEchoOrigin(closers);
    const proxy = await nginx.create({ directives: ['return 204;'] }, o.port);
    const port = await started(proxy, closers);
    const agent = new http.Agent({ keepAlive: false });
    closers.push(async () => agent.destroy());
    expect((await get(port, agent)).status).toBe(204);
    expect(o.connPorts).toHaveLength(0);
    expect(proxy.config).toContain('return 204;');
  });

  it.skipIf(!nginx.installed)('close() stops the child, frees the port and removes the temp dir; twice is fine', async () => {
    const o = await portEchoOrigin(closers);
    await expectCleanClose(await nginx.create({}, o.port), closers);
  });
});
