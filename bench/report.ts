/**
 * `tsx bench/report.ts`: how fast `lab report` is on big results, and how
 * fast its page draws. Ten synthetic results of 10,000 requests each (half
 * keep-alive over 50 connections, half one connection per request, with
 * origin events) are written to a temp folder; then
 *   - `lab report` over all ten, as a user runs it (a child process, tsx start-up included),
 *   - the page in headless Chromium: time to the first drawn screen, and to every chart drawn.
 * Goals (issue 5): report < 2 s, first render < 1 s. Figures, not a test.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { CHROMIUM, hasChromium, launchChromium } from '../test-support/chromium.js';
import { RESULT_SCHEMA, type ResultDocument } from '@keepalive-lab/scenarios';
import type { LabEvent, RequestRecord } from '@keepalive-lab/core';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = 10;
const REQUESTS = 10_000;

export function syntheticDoc(i: number): ResultDocument {
  const keepAlive = i % 2 === 0;
  const requests: RequestRecord[] = [];
  const events: LabEvent[] = [];
  const conns = keepAlive ? 50 : REQUESTS;
  for (let n = 0; n < REQUESTS; n++) {
    const conn = keepAlive ? (n % conns) + 1 : n + 1;
    const start = keepAlive ? Math.floor(n / conns) * 2 : n * 0.2;
    const end = start + 1.5 + (n % 7) * 0.1;
    const port = 30000 + (conn % 30000);
    requests.push({
      id: `r${n + 1}`,
      start,
      end,
      status: 200,
      error: null,
      clientPort: port,
      reused: keepAlive && n >= conns,
      upstreamPort: null,
      originPort: port,
      origin: 'origin',
      originConn: conn,
      nthOnConn: keepAlive ? Math.floor(n / conns) + 1 : 1,
    });
    events.push({
      event: 'request',
      source: 'origin',
      t: start + 0.3,
      origin: 'origin',
      id: `r${n + 1}`,
      conn,
      remotePort: port,
      nth: 1,
      method: 'GET',
      bytes: 0,
    });
  }
  for (let c = 1; c <= conns; c++) {
    events.push({
      event: 'conn-close',
      source: 'origin',
      t: 500 + c * 0.01,
      origin: 'origin',
      conn: c,
      remotePort: 30000 + c,
      requests: 1,
      reason: 'idle-timeout',
    });
  }
  const name = `bench-${keepAlive ? 'keepalive' : 'close'}-${i + 1}`;
  return {
    schema: RESULT_SCHEMA,
    scenario: {
      name,
      title: `synthetic ${keepAlive ? 'keep-alive' : 'close'} run`,
      story: 'A **synthetic** result for the bench.',
      tags: [],
    } as unknown as ResultDocument['scenario'],
    source: { file: `${name}.yaml`, overrides: [] },
    env: { node: process.version, os: 'bench', kernel: '', cpus: 2, lab: '0' } as ResultDocument['env'],
    startedAt: new Date(0).toISOString(),
    durationMs: 2000,
    requests,
    events,
    metrics: { 'requests.total': REQUESTS, 'client.connections': conns, 'origin.connections': conns },
    expectations: [],
    verdict: 'reproduced',
  };
}

export async function reportBench(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lab-bench-report-'));
  const lines = [`lab report — ${RESULTS} results × ${REQUESTS.toLocaleString('en')} requests`];
  try {
    const files: string[] = [];
    for (let i = 0; i < RESULTS; i++) {
      const f = join(dir, `result-${i + 1}.json`);
      await writeFile(f, JSON.stringify(syntheticDoc(i)));
      files.push(f);
    }
    const out = join(dir, 'report.html');
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [join(ROOT, 'packages/cli/bin/lab.js'), 'report', ...files, '--out', out], { encoding: 'utf8' });
    const wall = performance.now() - t0;
    if (r.status !== 0) throw new Error(`lab report failed: ${r.stderr}`);
    const size = (await stat(out)).size;
    lines.push(
      `  lab report (child process, tsx start-up included)  ${(wall / 1000).toFixed(2)} s   goal < 2 s  ` +
        `${wall < 2000 ? 'met' : 'MISSED'}   page ${(size / 1e6).toFixed(1)} MB`,
    );
    if (!hasChromium) {
      lines.push(`  page render: skipped, ${CHROMIUM} missing (apt-get install chromium)`);
      return `${lines.join('\n')}\n`;
    }
    const ctx = await launchChromium(dir);
    try {
      const page = await ctx.newPage();
      await page.goto(pathToFileURL(out).href);
      await page.waitForFunction(
        () => (window as unknown as { labReport?: { firstRenderMs: number | null } }).labReport?.firstRenderMs != null,
      );
      const first = await page.evaluate(() => (window as unknown as { labReport: { firstRenderMs: number } }).labReport.firstRenderMs);
      const all = await page.evaluate(() => {
        const t = performance.now();
        const n = (window as unknown as { labReport: { drawAll: () => number } }).labReport.drawAll();
        return { ms: performance.now() - t, n };
      });
      lines.push(
        `  first screen drawn (navigation start → visible charts)  ${first.toFixed(0)} ms   goal < 1 s  ${first < 1000 ? 'met' : 'MISSED'}`,
      );
      lines.push(
        `  every chart drawn at once (${all.n} charts, ${(RESULTS * REQUESTS).toLocaleString('en')} bars)  ` +
          `${all.ms.toFixed(0)} ms   (information: off-screen charts draw as they scroll in)`,
      );
    } finally {
      await ctx.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return `${lines.join('\n')}\n`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(await reportBench());
}
