import type { AddressInfo } from 'node:net';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';
import { fakeContext } from './fake-context.js';

const lab = (...args: string[]): string[] => ['node', 'lab', ...args];

describe('lab load', () => {
  // A stand-in origin that stamps the remote port it saw, as the lab origin does.
  const server = http.createServer((req, res) => {
    res.setHeader('x-lab-origin-port', req.socket.remotePort ?? -1);
    res.end('ok');
  });
  let url = '';
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const a = server.address();
    if (a === null || typeof a === 'string') throw new Error('not a TCP address');
    url = `http://127.0.0.1:${a.port}/`;
  });
  afterAll(async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  });

  it('--json prints one document whose records show the pool of 2 ports the origin saw', async () => {
    const { ctx, out, err } = fakeContext();
    const code = await main(lab('load', url, '-n', '10', '-c', '10', '--max-sockets', '2', '--json'), ctx);
    // -c above the pool is said on stderr, never in the document.
    expect(err()).toMatch(/^lab: -c 10 asks for 10 requests in flight, but --max-sockets 2 caps the connections at 2/);
    expect(code).toBe(0);
    const doc = JSON.parse(out()) as { requests: Record<string, unknown>[]; metrics: Record<string, number> };
    expect(doc.requests).toHaveLength(10);
    expect(new Set(doc.requests.map((r) => r.clientPort)).size).toBe(2);
    for (const r of doc.requests) {
      expect(r.originPort).toBe(r.clientPort);
      expect(r.upstreamPort).toBeNull();
    }
    expect(doc.metrics).toMatchObject({
      'requests.total': 10,
      'requests.ok': 10,
      'client.distinctPorts': 2,
      'client.reusedRequests': 8,
      'origin.distinctPorts': 2,
    });
  });

  it('prints the port-reuse table and the summary, with the fast engine too', async () => {
    const { ctx, out } = fakeContext();
    const code = await main(lab('load', url, '-n', '6', '-c', '6', '--no-keep-alive', '--engine', 'fast'), ctx);
    expect(code).toBe(0);
    // The port table's head (its wording belongs to the report's tables): a column of client ports.
    expect(out()).toMatch(/│ client port/);
    expect(out()).toMatch(/6 ok, 0 failed/);
    expect(out()).toMatch(/client +6 distinct ports, 6 connections, 0 reused requests/);
  });

  it('shows a progress line on a TTY only, and clears it before the table', async () => {
    const slow = http.createServer((_req, res) => setTimeout(() => res.end('ok'), 300));
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    try {
      const slowUrl = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/`;
      const tty = fakeContext({ tty: true });
      expect(await main(lab('load', slowUrl, '-n', '2', '-c', '2'), tty.ctx)).toBe(0);
      expect(tty.err()).toContain(`waiting for responses from ${slowUrl}`);
      const pipe = fakeContext();
      expect(await main(lab('load', slowUrl, '-n', '2', '-c', '2'), pipe.ctx)).toBe(0);
      expect(pipe.err()).toBe('');
    } finally {
      slow.closeAllConnections();
      await new Promise((r) => slow.close(r));
    }
  });

  it('-n abc is bad usage: exit 2, naming -n', async () => {
    const { ctx, out, err } = fakeContext();
    expect(await main(lab('load', url, '-n', 'abc'), ctx)).toBe(2);
    expect(err()).toMatch(/-n\/--requests: expected an integer ≥ 1, found "abc"/);
    expect(out()).toBe('');
  });

  it('a bad URL or engine names what is wrong: exit 2', async () => {
    const a = fakeContext();
    expect(await main(lab('load', 'ftp://x/'), a.ctx)).toBe(2);
    expect(a.err()).toMatch(/<url>: expected an http:\/\/ URL/);
    const b = fakeContext();
    expect(await main(lab('load', url, '--engine', 'turbo'), b.ctx)).toBe(2);
    expect(b.err()).toMatch(/--engine: expected agent or fast/);
  });

  it('when nothing answers, the run failed: exit 1 and the reason', async () => {
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const a = probe.address();
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    if (a === null || typeof a === 'string') throw new Error('not a TCP address');
    const { ctx, err } = fakeContext();
    expect(await main(lab('load', `127.0.0.1:${a.port}`, '-n', '3', '--json'), ctx)).toBe(1);
    expect(err()).toMatch(/no request got a response \(ECONNREFUSED×3\)/);
  });

  it('when every answer is a failure (a proxy answering 502 for a missing origin), exit 1 and say so', async () => {
    const bad = http.createServer((_req, res) => {
      res.statusCode = 502;
      res.end('bad gateway');
    });
    await new Promise<void>((resolve) => bad.listen(0, '127.0.0.1', resolve));
    try {
      const port = (bad.address() as AddressInfo).port;
      const { ctx, err } = fakeContext();
      expect(await main(lab('load', `127.0.0.1:${port}`, '-n', '3', '--json'), ctx)).toBe(1);
      expect(err()).toContain('every request failed (HTTP_502×3)');
    } finally {
      bad.closeAllConnections();
      await new Promise<void>((resolve) => bad.close(() => resolve()));
    }
  });
});
