import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { proxyComponent } from '@keepalive-lab/proxies';
import { main } from '../src/index.js';
import { fakeContext } from './fake-context.js';

const lines = (text: string): Record<string, unknown>[] =>
  text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** One `Connection: close` GET through the proxy; resolves the body. */
function getText(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, agent: false }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve(text));
      })
      .on('error', reject);
  });
}

describe('lab proxy', () => {
  it('runs pipe-l4 with --json: the listening line first, then the connection events of a request', async () => {
    const origin = http.createServer((_req, res) => res.end('through'));
    origin.listen(0, '127.0.0.1');
    await once(origin, 'listening');
    const originPort = (origin.address() as AddressInfo).port;
    const f = fakeContext();
    const exit = main(
      ['node', 'lab', 'proxy', 'pipe-l4', '--listen', '127.0.0.1:0', '--target', `127.0.0.1:${originPort}`, '--json'],
      f.ctx,
    );

    await expect.poll(() => f.out().includes('\n')).toBe(true);
    const listening = lines(f.out())[0];
    expect(listening).toEqual({ event: 'listening', address: '127.0.0.1', port: expect.any(Number) });
    const port = Number(listening?.port);

    const body = await getText(port);
    expect(body).toBe('through');
    await expect.poll(() => lines(f.out()).filter((e) => e.event === 'client-close').length).toBe(1);

    f.stop();
    expect(await exit).toBe(0);
    await new Promise<void>((r) => origin.close(() => r()));

    const events = lines(f.out());
    expect(events.map((e) => e.event).sort()).toEqual(['client-close', 'client-open', 'listening', 'upstream-close', 'upstream-open']);
    const upstream = events.find((e) => e.event === 'upstream-open');
    expect(upstream).toMatchObject({ source: 'proxy', proxy: 'pipe-l4', target: `127.0.0.1:${originPort}`, clientConn: 1 });
    expect(f.err()).toBe('');
  });

  it('prints a line per connection event without --json, and stops on the signal', async () => {
    const f = fakeContext();
    const exit = main(['node', 'lab', 'proxy', 'naive-l4', '--listen', '127.0.0.1:0', '--target', '127.0.0.1:9'], f.ctx);
    await expect.poll(() => f.out()).toMatch(/^listening on 127\.0\.0\.1:\d+, forwarding to 127\.0\.0\.1:9\n$/);
    f.stop('SIGTERM');
    expect(await exit).toBe(0);
    expect(f.out()).toMatch(/stopped \(SIGTERM\)\n$/);
  });

  it.each([
    'l7',
    'l7-fast',
  ])('runs %s with its flags: one pooled upstream connection serves two Connection: close clients', async (kind) => {
    const origin = http.createServer((req, res) => res.end(String(req.socket.remotePort)));
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
    const originPort = (origin.address() as AddressInfo).port;
    const f = fakeContext();
    const exit = main(
      [
        'node',
        'lab',
        'proxy',
        kind,
        '--listen',
        '127.0.0.1:0',
        '--target',
        `127.0.0.1:${originPort}`,
        '--max-sockets',
        '1',
        '--balance',
        'rr',
        '--json',
      ],
      f.ctx,
    );
    const port = (JSON.parse(await f.nextLine()) as { port: number }).port;
    const seen = [await getText(port), await getText(port)];
    expect(seen[0]).toBe(seen[1]); // the origin saw the same proxy port twice: the upstream socket was reused
    f.stop();
    expect(await exit).toBe(0);
    await new Promise<void>((r) => origin.close(() => r()));
    const events = lines(f.out());
    expect(events.filter((e) => e.event === 'upstream-open')).toHaveLength(1);
    expect(events.filter((e) => e.event === 'forward').map((e) => e.reused)).toEqual([false, true]);
  });

  it('refuses a bad l7 flag with exit 2, naming the flag', async () => {
    const f = fakeContext();
    expect(await main(['node', 'lab', 'proxy', 'l7', '--target', '127.0.0.1:1', '--balance', 'random'], f.ctx)).toBe(2);
    expect(f.err()).toContain('--balance');
    expect(f.out()).toBe('');
  });

  it('refuses an unknown kind with exit 2, naming the known ones', async () => {
    const f = fakeContext();
    expect(await main(['node', 'lab', 'proxy', 'l5', '--target', '127.0.0.1:1'], f.ctx)).toBe(2);
    expect(f.err()).toContain('unknown proxy kind "l5"');
    expect(f.err()).toContain('naive-l4, pipe-l4, l7');
    expect(f.out()).toBe('');
  });

  it('refuses a missing --target with exit 2, naming the flag', async () => {
    const f = fakeContext();
    expect(await main(['node', 'lab', 'proxy', 'pipe-l4'], f.ctx)).toBe(2);
    expect(f.err()).toContain('--target is required');
    expect(f.out()).toBe('');
  });

  it('refuses a malformed --listen with exit 2', async () => {
    const f = fakeContext();
    expect(await main(['node', 'lab', 'proxy', 'pipe-l4', '--listen', 'nowhere', '--target', '127.0.0.1:1'], f.ctx)).toBe(2);
    expect(f.err()).toContain('--listen');
  });

  // A real peer alone, as a user runs it in front of their own origin (skipped with the install line where nginx is absent).
  it.skipIf(proxyComponent('nginx').missing() !== null)(
    'runs the real nginx with its own knob flags: keepalive 1 → one upstream connection for two clients',
    async () => {
      const origin = http.createServer((req, res) => res.end(String(req.socket.remotePort)));
      await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
      const originPort = (origin.address() as AddressInfo).port;
      const f = fakeContext();
      const exit = main(
        ['node', 'lab', 'proxy', 'nginx', '--listen', '127.0.0.1:0', '--target', `127.0.0.1:${originPort}`, '--keepalive', '1', '--json'],
        f.ctx,
      );
      const listening = JSON.parse(await f.nextLine()) as { event: string; port: number };
      expect(listening.event).toBe('listening');
      const seen = [await getText(listening.port), await getText(listening.port)];
      expect(seen[0]).toBe(seen[1]);
      f.stop();
      expect(await exit).toBe(0);
      await new Promise<void>((r) => origin.close(() => r()));
    },
  );

  it("--print-config prints the config a peer would run with (directives in place) and exits; another kind's flag is refused by name", async () => {
    const f = fakeContext();
    expect(
      await main(
        [
          'node',
          'lab',
          'proxy',
          'haproxy',
          '--target',
          '127.0.0.1:9000,127.0.0.1:9001',
          '--reuse',
          'always',
          '--directive',
          'retry-on all-retryable-errors',
          '--print-config',
        ],
        f.ctx,
      ),
    ).toBe(0);
    expect(f.out()).toContain(
      'http-reuse always\n  retry-on all-retryable-errors\n  server origin0 127.0.0.1:9000\n  server origin1 127.0.0.1:9001',
    );
    const bad = fakeContext();
    expect(await main(['node', 'lab', 'proxy', 'haproxy', '--target', '127.0.0.1:9000', '--keepalive', '8'], bad.ctx)).toBe(2);
    expect(bad.err()).toContain(
      '--keepalive is not a knob of proxy kind haproxy; haproxy takes --reuse, --keep-alive-timeout, --upstream-protocol, --directive, --config-file',
    );
  });
});
