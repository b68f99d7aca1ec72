import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROXY_COMPONENTS } from '@keepalive-lab/proxies';
import { main } from '../src/index.js';
import { fakeContext } from './fake-context.js';

/**
 * `lab proxy <kind>` with nothing but --listen and --target starts every kind
 * this machine has and forwards a request. (Apache's `retry` knob once
 * collided with l7's `--no-retry` flag: `lab proxy apache` refused to start,
 * whatever the user typed.)
 */
let origin: http.Server;
let originPort: number;
beforeAll(async () => {
  origin = http.createServer((_req, res) => res.end('through'));
  origin.listen(0, '127.0.0.1');
  await once(origin, 'listening');
  originPort = (origin.address() as AddressInfo).port;
});
afterAll(async () => {
  origin.closeAllConnections();
  await new Promise<void>((r) => origin.close(() => r()));
});

/** One `Connection: close` GET through the proxy: status and body. */
function get(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, agent: false, path: '/every-kind' }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('lab proxy <kind>, no knob flags', () => {
  for (const c of PROXY_COMPONENTS.filter((k) => k.startable)) {
    const missing = c.missing();
    const test = missing === null ? it : it.skip;
    test(`${c.kind} starts, forwards a GET and stops${missing === null ? '' : ` (skipped: ${missing})`}`, { timeout: 30_000 }, async () => {
      const f = fakeContext();
      const argv = ['node', 'lab', 'proxy', c.kind, '--listen', '127.0.0.1:0', '--target', `127.0.0.1:${originPort}`, '--json'];
      const exit = main(argv, f.ctx);
      await expect.poll(() => f.out().includes('\n') || f.err() !== '', { timeout: 20_000 }).toBe(true);
      expect(f.err()).toBe('');
      const listening = JSON.parse(f.out().split('\n')[0] ?? '{}') as { port?: number };
      expect(await get(Number(listening.port))).toEqual({ status: 200, body: 'through' });
      f.stop();
      expect(await exit).toBe(0);
    });
  }
});

describe('knob flags that share a word', () => {
  it("apache's --retry sets retry=, l7's --no-retry-stale turns off its stale retry: neither takes the other's value", async () => {
    const apache = fakeContext();
    const argv = ['node', 'lab', 'proxy', 'apache', '--target', '127.0.0.1:9', '--retry', '5s', '--print-config'];
    expect(await main(argv, apache.ctx)).toBe(0);
    expect(apache.out()).toMatch(/BalancerMember http:\/\/127\.0\.0\.1:9 .*retry=5\b/);
    const l7 = fakeContext();
    expect(await main(['node', 'lab', 'proxy', 'l7', '--target', '127.0.0.1:9', '--retry', '5s'], l7.ctx)).toBe(2);
    expect(l7.err()).toContain('--retry is not a knob of proxy kind l7');
  });
});
