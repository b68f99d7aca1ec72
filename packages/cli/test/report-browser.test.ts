import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';
import { fakeContext } from './fake-context.js';
import { artifacts, fixtures, hasChromium, launchChromium, skipWhy as why } from './report-page.js';

if (!hasChromium) process.stderr.write(`report-browser.test.ts ${why}\n`);

let dir: string;
let browser: BrowserContext;

beforeAll(async () => {
  if (!hasChromium) return;
  dir = await mkdtemp(join(tmpdir(), 'lab-browser-'));
  browser = await launchChromium(dir);
});
afterAll(async () => {
  if (!hasChromium) return;
  await browser.close();
  await rm(dir, { recursive: true, force: true });
});

interface Drawn {
  label: string;
  rows: number;
  connections: number;
  idleMarkers: number;
}

describe.skipIf(!hasChromium)(`the HTML report in headless Chromium${hasChromium ? '' : ` (${why})`}`, () => {
  it('renders offline without console errors: one waterfall row per connection, idle closes marked, both scenarios compared', async () => {
    const out = join(dir, 'report.html');
    const f = fakeContext({ cwd: dir });
    const code = await main(
      ['node', 'lab', 'report', join(fixtures, 'keepalive-l4.json'), join(fixtures, 'keepalive-pipe-l4.json'), '--out', out],
      f.ctx,
    );
    expect(f.err()).toBe('');
    expect(code).toBe(0);

    const page = await browser.newPage();
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('request', (r) => requests.push(r.url()));
    const url = pathToFileURL(out).href;
    await page.goto(url); // every chart is drawn at load: no scrolling, no drawAll

    const drawn = await page.evaluate(() => {
      type ChartLike = { data: { labels: string[]; datasets: { data: unknown[] }[] } };
      const getChart = (window as unknown as { Chart: { getChart: (c: HTMLCanvasElement) => ChartLike | undefined } }).Chart.getChart;
      return [...document.querySelectorAll<HTMLCanvasElement>('canvas[data-chart="waterfall"]')].map((c) => {
        const chart = getChart(c);
        return {
          label: c.closest('section')?.getAttribute('data-label') ?? '',
          rows: chart?.data.labels.length ?? -1,
          connections: Number(c.dataset.connections),
          idleMarkers: chart?.data.datasets[1]?.data.length ?? -1,
        };
      });
    });
    const docs = await Promise.all(
      ['keepalive-l4', 'keepalive-pipe-l4'].map(
        async (n) =>
          JSON.parse(await readFile(join(fixtures, `${n}.json`), 'utf8')) as {
            metrics: Record<string, number>;
            events: { event: string; reason?: string }[];
          },
      ),
    );
    const expected: Drawn[] = docs.map((d, i) => ({
      label: i === 0 ? 'keepalive-l4' : 'keepalive-pipe-l4',
      rows: d.metrics['client.connections'] ?? -2,
      connections: d.metrics['client.connections'] ?? -2,
      idleMarkers: d.events.filter((e) => e.event === 'conn-close' && e.reason === 'idle-timeout').length,
    }));
    expect(drawn).toEqual(expected);
    expect(expected.map((e) => e.rows)).toEqual([5, 5]);
    expect(expected[0]?.idleMarkers).toBe(20);

    const comparison = page.locator('#comparison');
    await expect
      .poll(() => comparison.locator('table.compare thead th').allInnerTexts())
      .toEqual(['', 'metric', 'keepalive-l4\nreproduced', 'keepalive-pipe-l4\nreproduced']);
    const origin = await comparison.locator('tr', { hasText: 'origin.distinctPorts' }).first().locator('td.num').allInnerTexts();
    expect(origin).toEqual(['20', '5']);
    const charts = await page.evaluate(() => (window as unknown as { labReport: { charts: number; total: number } }).labReport);
    expect(charts.charts).toBe(charts.total);
    expect(charts.total).toBe(5); // 2 waterfalls, 2 port charts, 1 comparison chart

    await mkdir(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'report.png'), fullPage: true });
    expect(problems).toEqual([]);
    expect(requests).toEqual([url]); // the page itself, nothing else: it works offline
    await page.close();
  });
});
