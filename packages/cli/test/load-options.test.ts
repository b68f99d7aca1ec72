import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/main.js';
import { fakeContext } from './fake-context.js';

/**
 * `lab load`'s wrk/autocannon flags, each read off what the origin received
 * (header lines, body bytes, arrival times) or the exit code it sets, for
 * both engines. Time bounds are exact where the schedule makes them so, or
 * generous ceilings; speed is never asserted.
 */
const lab = (...args: string[]): string[] => ['node', 'lab', ...args];

interface Received {
  id: string;
  method: string;
  rawHeaders: string[];
  body: Buffer;
  at: number;
}

/** A stand-in origin that stamps the port it saw (as the lab origin does) and keeps what each request brought. */
const received: Received[] = [];
const sockets = new Set<Socket>();
const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  const at = performance.now();
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    received.push({
      id: String(req.headers['x-lab-request-id']),
      method: req.method ?? '',
      rawHeaders: req.rawHeaders,
      body: Buffer.concat(chunks),
      at,
    });
    res.setHeader('x-lab-origin-port', req.socket.remotePort ?? -1);
    res.end('ok\n');
  });
});
server.on('connection', (s: Socket) => {
  sockets.add(s);
  s.once('close', () => sockets.delete(s));
});
let url = '';
let dir = '';
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  dir = await mkdtemp(join(tmpdir(), 'lab-load-'));
});
afterEach(() => {
  received.length = 0;
  vi.unstubAllEnvs();
});
afterAll(async () => {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
  await rm(dir, { recursive: true, force: true });
});

const linesOf = (r: Received, name: string): string[] =>
  r.rawHeaders.flatMap((v, i) => (i % 2 === 1 && r.rawHeaders[i - 1]?.toLowerCase() === name ? [v] : []));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

interface LoadDoc {
  target: string;
  args: Record<string, unknown>;
  requests: { id: string; start: number; end: number | null; status: number | null }[];
  metrics: Record<string, number>;
  expectations?: { metric: string; op: string; expected: number; actual: number | null; pass: boolean }[];
}

async function loadJson(...args: string[]): Promise<{ code: number; doc: LoadDoc; err: string }> {
  const { ctx, out, err } = fakeContext();
  const code = await main(lab('load', url, '--json', ...args), ctx);
  return { code, doc: JSON.parse(out()) as LoadDoc, err: err() };
}

describe.each(['agent', 'fast'])('lab load --engine %s', (engine) => {
  it('-H headers reach the origin, a repeated name as two lines', async () => {
    const { code } = await loadJson('--engine', engine, '-n', '3', '-H', 'X-Api-Key: k1', '-H', 'x-multi: a', '-H', 'x-multi: b');
    expect(code).toBe(0);
    expect(received).toHaveLength(3);
    for (const r of received) {
      expect(linesOf(r, 'x-api-key')).toEqual(['k1']);
      expect(linesOf(r, 'x-multi')).toEqual(['a', 'b']);
    }
  });

  it('--body and --body-file: those bytes exactly, with their Content-Length, on the default GET', async () => {
    expect((await loadJson('--engine', engine, '-n', '2', '--body', '{"a":"é"}')).code).toBe(0);
    expect(received.map((r) => [r.method, r.body.toString('utf8'), linesOf(r, 'content-length')])).toEqual([
      ['GET', '{"a":"é"}', ['10']],
      ['GET', '{"a":"é"}', ['10']],
    ]);
    received.length = 0;
    const bytes = randomBytes(3000);
    const file = join(dir, `body-${engine}.bin`);
    await writeFile(file, bytes);
    const { code, doc } = await loadJson('--engine', engine, '-n', '2', '--method', 'POST', '--body-file', file);
    expect(code).toBe(0);
    expect(received).toHaveLength(2);
    for (const r of received) {
      expect(r.body.equals(bytes)).toBe(true);
      expect(linesOf(r, 'content-length')).toEqual(['3000']);
    }
    expect(doc.args.bodyBytes).toBe(3000);
    expect(doc.metrics['bytes.sent']).toBeGreaterThan(2 * 3000);
  });

  it('-R 50 -d 1s: starts 20 ms apart in the records and at the origin, the rate and the arguments in --json', async () => {
    const { code, doc } = await loadJson('--engine', engine, '-R', '50', '-d', '1s', '-c', '10', '--max-sockets', '0');
    expect(code).toBe(0);
    const n = doc.requests.length;
    // Due at 0, 20, ..., 980 ms: at most 50; far fewer would mean no rate was kept.
    expect(n).toBeLessThanOrEqual(50);
    expect(n).toBeGreaterThanOrEqual(25);
    const starts = doc.requests.map((r) => r.start);
    expect(Math.abs(median(starts.slice(1).map((s, i) => s - (starts[i] ?? 0))) - 20)).toBeLessThanOrEqual(4);
    const at = received.map((r) => r.at).sort((a, b) => a - b);
    expect(Math.abs(median(at.slice(1).map((s, i) => s - (at[i] ?? 0))) - 20)).toBeLessThanOrEqual(4);
    expect(doc.target).toBe(url);
    expect(doc.args).toMatchObject({ rate: 50, duration: 1000, requests: null, concurrency: 10, maxSockets: 0, engine });
    expect(doc.metrics['rate.offered']).toBe(50);
    expect(doc.metrics['rate.late']).toBeTypeOf('number');
    expect(doc.metrics['rate.issued']).toBeGreaterThan(0);
  });

  it('-d 1s alone: requests > 0, none started after 1 s, every one answered', async () => {
    const { code, doc } = await loadJson('--engine', engine, '-d', '1s', '-c', '2', '--max-sockets', '2');
    expect(code).toBe(0);
    const starts = doc.requests.map((r) => r.start);
    expect(starts.length).toBeGreaterThan(0);
    expect(Math.max(...starts) - Math.min(...starts)).toBeLessThan(1000);
    expect(doc.requests.every((r) => r.status === 200)).toBe(true);
    expect(received).toHaveLength(starts.length);
    expect(doc.metrics.duration).toBeLessThan(1000 + 2000);
  });
});

describe('lab load --expect', () => {
  it('thresholds that hold: exit 0, the checks and the verdict under the summary', async () => {
    const { ctx, out } = fakeContext();
    expect(await main(lab('load', url, '-n', '5', '--expect', 'requests.failed=0', '--expect', 'latency.p99<=60s'), ctx)).toBe(0);
    expect(out()).toMatch(/requests\.failed +│ = 0 +│ 0 +│ ✓/);
    expect(out()).toContain('✓ thresholds: 2 of 2 passed');
  });

  it('a threshold that fails: exit 1, the failed check printed (on stderr with --json, in the document too)', async () => {
    const { ctx, out } = fakeContext();
    expect(await main(lab('load', url, '-n', '5', '--expect', 'requests.ok>=6'), ctx)).toBe(1);
    expect(out()).toMatch(/requests\.ok +│ ≥ 6 +│ 5 +│ ✗/);
    expect(out()).toContain('✗ thresholds: 1 of 1 failed: exit 1');
    const { code, doc, err } = await loadJson('-n', '5', '--expect', 'requests.ok>=6', '--expect', 'requests.total=5');
    expect(code).toBe(1);
    expect(err).toBe('lab: threshold failed: ✗ requests.ok ≥ 6 (actual 5)\n');
    expect(doc.expectations).toEqual([
      { metric: 'requests.ok', op: 'atLeast', expected: 6, actual: 5, pass: false },
      { metric: 'requests.total', op: 'equals', expected: 5, actual: 5, pass: true },
    ]);
  });

  it("lab load's own figures are thresholds too (latency.p99.9, throughput.requests)", async () => {
    const { code, doc } = await loadJson('-n', '5', '--expect', 'latency.p99.9<=60s', '--expect', 'throughput.requests>=0.001');
    expect(code).toBe(0);
    expect(doc.expectations?.every((e) => e.pass)).toBe(true);
  });

  it('a typo, an operator the language lacks, a metric lab load cannot see, a bad value: exit 2, naming --expect, nothing sent', async () => {
    const cases: [string, RegExp][] = [
      ['latncy.p99<=50ms', /--expect: expected a metric .*\(did you mean "latency\.p99"\?\), found "latncy\.p99"/],
      ['latency.p99<50ms', /--expect: expected =, >= or <=/],
      ['origin.connections=5', /--expect: origin\.connections is not measured by lab load/],
      ['requests.failed=none', /--expect: expected a number or a duration after =/],
      ['requests.failed', /--expect: expected metric<op>value/],
    ];
    for (const [flag, message] of cases) {
      const { ctx, out, err } = fakeContext();
      expect(await main(lab('load', url, '-n', '1', '--expect', flag), ctx)).toBe(2);
      expect(err()).toMatch(message);
      expect(err()).not.toMatch(/\n\s+at /);
      expect(out()).toBe('');
    }
    expect(received).toHaveLength(0);
  });
});

describe('lab load: refusals, the pool warning, --quiet, the summary', () => {
  it('a malformed or client-owned -H, both bodies, an unreadable body file, a bad -R or -d: exit 2 naming the flag', async () => {
    const cases: [string[], RegExp][] = [
      [['-H', 'no colon here'], /-H\/--header: expected "Name: value", found "no colon here"/],
      [
        ['-H', 'Content-Length: 5'],
        /-H\/--header: expected a header the client does not write itself \(Content-Length is set from the body\)/,
      ],
      [['-H', 'Transfer-Encoding: chunked'], /-H\/--header: .*Transfer-Encoding/],
      [['-H', 'Host: a', '-H', 'host: b'], /-H\/--header: expected one Host header/],
      [['--body', 'a', '--body-file', 'b'], /--body and --body-file: give one of them, not both/],
      [['--body-file', join(dir, 'missing.bin')], /--body-file: cannot read .*missing\.bin \(ENOENT\)/],
      [['-R', '0'], /-R\/--rate: expected requests per second, a number > 0, found "0"/],
      [['-R', 'fast'], /-R\/--rate: expected requests per second/],
      [['-d', '0ms'], /-d\/--duration: expected a duration of at least 1ms/],
      [['-d', '5'], /-d\/--duration: expected a duration like 500ms, 2s or 1m/],
    ];
    for (const [args, message] of cases) {
      const { ctx, out, err } = fakeContext();
      expect(await main(lab('load', url, '-n', '1', ...args), ctx)).toBe(2);
      expect(err()).toMatch(message);
      expect(out()).toBe('');
    }
    expect(received).toHaveLength(0);
  });

  it('-c 100 with the pool of 5 warns on stderr (the --json document stays clean); not when -c is the default, not with --quiet', async () => {
    const { code, doc, err } = await loadJson('-n', '20', '-c', '100');
    expect(code).toBe(0);
    expect(doc.requests).toHaveLength(20);
    expect(err).toBe(
      'lab: -c 100 asks for 20 requests in flight, but --max-sockets 5 caps the connections at 5: ' +
        'the other 15 wait for a free socket (--max-sockets 0 = unlimited)\n',
    );
    // Only 5 connections, as the warning says.
    expect(doc.metrics['client.connections']).toBe(5);
    expect((await loadJson('-n', '20')).err).toBe('');
    expect((await loadJson('-n', '20', '-c', '100', '--max-sockets', '0')).err).toBe('');
    const quiet = fakeContext();
    expect(await main(lab('load', url, '-n', '20', '-c', '100', '--quiet'), quiet.ctx)).toBe(0);
    expect(quiet.err()).toBe('');
  });

  it('--quiet prints nothing without --expect, and only the verdict (and failed checks) with it', async () => {
    const a = fakeContext();
    expect(await main(lab('load', url, '-n', '3', '--quiet'), a.ctx)).toBe(0);
    expect(a.out()).toBe('');
    const b = fakeContext();
    expect(await main(lab('load', url, '-n', '3', '--quiet', '--expect', 'requests.ok=3', '--expect', 'requests.failed>=1'), b.ctx)).toBe(
      1,
    );
    expect(b.out()).toBe('✗ requests.failed ≥ 1 (actual 0)\n✗ thresholds: 1 of 2 failed: exit 1\n');
  });

  it('the summary shows the percentile spread, req/s and bytes/s; --json carries them as metrics', async () => {
    const { ctx, out } = fakeContext();
    expect(await main(lab('load', url, '-n', '10', '--body', 'abc'), ctx)).toBe(0);
    expect(out()).toMatch(/latency +p50 \S+ +p90 \S+ +p99 \S+ +p99\.9 \S+ +max \S+/);
    expect(out()).toMatch(/duration +\S+ +\([\d.]+ req\/s\)/);
    expect(out()).toMatch(/bytes +read [\d.]+ k?B \([\d.]+ k?B\/s\), sent [\d.]+ k?B \([\d.]+ k?B\/s\)/);
    const { doc } = await loadJson('-n', '10');
    for (const k of [
      'latency.p50',
      'latency.p90',
      'latency.p99',
      'latency.p99.9',
      'latency.max',
      'throughput.requests',
      'bytes.read',
      'bytes.sent',
    ]) {
      expect(doc.metrics[k], k).toBeGreaterThan(0);
    }
    expect(doc.metrics['throughput.bytesRead']).toBeGreaterThan(0);
    expect(doc.args).toMatchObject({ requests: 10, duration: null, rate: null, headers: [], bodyBytes: null, expect: [] });
  });

  it('COLUMNS=90 on a non-TTY: no line wider than 90 (as lab show); --wide lets the tables run past it', async () => {
    vi.stubEnv('COLUMNS', '90');
    const widest = (text: string): number => Math.max(...text.split('\n').map((l) => [...stripVTControlCharacters(l)].length));
    // 40 requests on 5 sockets: 8 completion times per row, more than 90 columns hold.
    const args = lab('load', url, '-n', '40', '-c', '5', '--max-sockets', '5');
    const narrow = fakeContext(); // stdout's columns (100) mean nothing off a TTY
    expect(await main(args, narrow.ctx)).toBe(0);
    expect(narrow.out()).toContain('client port');
    expect(widest(narrow.out())).toBeLessThanOrEqual(90);
    const wide = fakeContext();
    expect(await main([...args, '--wide'], wide.ctx)).toBe(0);
    expect(widest(wide.out())).toBeGreaterThan(90);
  });
});
