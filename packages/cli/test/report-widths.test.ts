import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';
import { fakeContext } from './fake-context.js';
import { artifacts, FIXTURES, fixtureDoc, hasChromium, launchChromium, resultsFolder, skipWhy } from './report-page.js';

if (!hasChromium) process.stderr.write(`report-widths.test.ts ${skipWhy}\n`);

let dir: string;
let browser: BrowserContext;
let url: string;
let listed: string[];

beforeAll(async () => {
  if (!hasChromium) return;
  dir = await mkdtemp(join(tmpdir(), 'lab-widths-'));
  const results = join(dir, 'results');
  await resultsFolder(results);
  const out = join(dir, 'report.html');
  const f = fakeContext({ cwd: dir });
  // No names: every saved scenario, in the story's order, and the matrix.
  const code = await main(['node', 'lab', 'report', '--results-dir', results, '--out', out], f.ctx);
  expect(f.err()).toBe('');
  expect(code).toBe(0);
  url = pathToFileURL(out).href;
  const l = fakeContext({ cwd: dir });
  expect(await main(['node', 'lab', 'list'], l.ctx)).toBe(0);
  listed = stripVTControlCharacters(l.out())
    .split('\n')
    .map((line) => line.split(/\s+/)[0] ?? '');
  browser = await launchChromium(dir);
});
afterAll(async () => {
  if (!hasChromium) return;
  await browser.close();
  await rm(dir, { recursive: true, force: true });
});

/** Opens the report at a width; every console error or page error is collected. */
async function open(width: number): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage();
  await page.setViewportSize({ width, height: 900 });
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  // How many charts were drawn when the load event fired: a screenshot taken then must show them all.
  await page.addInitScript(() => addEventListener('load', () => (window.chartsAtLoad = window.labReport?.charts ?? -1)));
  await page.goto(url);
  return { page, problems };
}

type ChartLike = {
  data: { datasets: { backgroundColor: string | string[] }[] };
  getDatasetMeta: (i: number) => { data: { x: number; y: number; base: number }[] };
  currentDevicePixelRatio: number;
};
declare global {
  interface Window {
    Chart: { getChart: (c: HTMLCanvasElement) => ChartLike | undefined };
    labReport: { charts: number; total: number; marks: Record<string, { queued: number; waves: number }> };
    chartsAtLoad: number;
  }
}

/** What the client got, by the records alone (independent of the report's code). */
function kindOf(r: { status: number | null; error: string | null }): string {
  if (r.error === 'ECONNRESET' || r.error === 'EPIPE') return 'reset';
  if (r.error === 'EOF') return 'eof';
  if (r.error === 'TIMEOUT') return 'timeout';
  if (r.error === 'ECONNREFUSED') return 'refused';
  if (r.error !== null || r.status === null) return 'other';
  return r.status >= 400 ? 'http' : 'ok';
}

/** Requests that waited for their connection: made before the one ahead of them on it ended. */
function queuedCount(requests: { start: number; end: number | null; clientPort: number | null }[]): number {
  const lastEnd = new Map<number, number>();
  let n = 0;
  for (const r of [...requests].sort((a, b) => a.start - b.start)) {
    if (r.clientPort === null) continue;
    const on = Math.max(r.start, lastEnd.get(r.clientPort) ?? r.start);
    if (Math.round(on * 10) > Math.round(r.start * 10)) n++;
    lastEnd.set(r.clientPort, Math.max(on, r.end ?? on));
  }
  return n;
}

const STORY = [
  'close-direct',
  'keepalive-direct',
  'keepalive-l4',
  'keepalive-pipe-l4',
  'pool-head-of-line:pool-5',
  'pool-head-of-line:unlimited',
  'keepalive-modern-node',
  'origin-down',
  'idle-race-direct:race',
  'idle-race-direct:fixed-hint',
  'idle-race-direct:fixed-server-buffer',
];

describe.skipIf(!hasChromium)(`the HTML report at 800, 1280 and 1600 px${hasChromium ? '' : ` (${skipWhy})`}`, () => {
  it.each([
    800, 1280, 1600,
  ])('at %i px: no horizontal scroll, no clipped cell, at most two columns, every chart drawn at load', async (width) => {
    const { page, problems } = await open(width);
    const layout = await page.evaluate(() => {
      const doc = document.documentElement;
      const overflowing = [...document.querySelectorAll<HTMLElement>('.panel, td, th')]
        .filter((el) => el.scrollWidth > el.clientWidth + (el.matches('.panel') ? 0 : 1))
        .map((el) => `${el.tagName.toLowerCase()}: ${el.scrollWidth} > ${el.clientWidth} (${(el.textContent ?? '').slice(0, 40)})`);
      // Columns as laid out (distinct left edges of the panels) and as the grid defines them (an empty third track counts too).
      const columns = [...document.querySelectorAll('.grid')].map((g) =>
        Math.max(
          new Set([...g.children].map((p) => Math.round(p.getBoundingClientRect().left))).size,
          getComputedStyle(g).gridTemplateColumns.split(' ').length,
        ),
      );
      // The narrowest panel, as a share of its grid: half (two columns) or all of it (one).
      const narrowest = Math.min(
        ...[...document.querySelectorAll('.grid > .panel')].map(
          (p) => p.getBoundingClientRect().width / (p.parentElement?.getBoundingClientRect().width ?? 1),
        ),
      );
      const side = document.querySelector('#comparison table.compare')?.closest('.panel')?.getBoundingClientRect().width ?? 0;
      const grid = document.querySelector('#comparison .grid')?.getBoundingClientRect().width ?? 1;
      return { scroll: doc.scrollWidth - doc.clientWidth, overflowing, columns, narrowest, sideBySide: side / grid };
    });
    expect(layout.scroll).toBe(0);
    expect(layout.overflowing).toEqual([]);
    expect(Math.max(...layout.columns)).toBe(width < 900 ? 1 : 2);
    expect(layout.narrowest).toBeGreaterThan(width < 900 ? 0.99 : 0.45);
    expect(layout.sideBySide).toBeCloseTo(1, 2); // 'Metrics side by side' spans the grid

    // Drawn at load: nobody scrolled and nobody called drawAll.
    const drawn = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLCanvasElement>('canvas[data-chart]')].map((c) => {
        const px = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? new Uint8ClampedArray();
        let painted = 0;
        for (let i = 3; i < px.length; i += 4) if ((px[i] ?? 0) > 0) painted++;
        return { chart: window.Chart.getChart(c) !== undefined, blank: painted === 0 };
      }),
    );
    expect(drawn.length).toBe(2 * STORY.length + 1); // a waterfall and a port chart per result, one comparison chart
    expect(drawn.filter((d) => !d.chart || d.blank)).toEqual([]);
    expect(await page.evaluate(() => window.chartsAtLoad)).toBe(drawn.length);
    await mkdir(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, `report-${width}.png`), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shows the results in the story order `lab list` prints, each story before its charts', async () => {
    const { page } = await open(1280);
    const sections = await page.evaluate(() =>
      [...document.querySelectorAll('section.result')].map((s) => {
        const story = s.querySelector('.story');
        const firstChart = s.querySelector('canvas');
        const storyFirst =
          story !== null && firstChart !== null && (story.compareDocumentPosition(firstChart) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0;
        return { label: s.getAttribute('data-label') ?? '', storyFirst };
      }),
    );
    expect(sections.map((s) => s.label)).toEqual(STORY);
    const scenarios = [...new Set(sections.map((s) => s.label.split(':')[0] ?? ''))];
    expect(scenarios).toEqual(listed.filter((n) => scenarios.includes(n)));
    expect(sections.filter((s) => !s.storyFirst)).toEqual([]);
    await page.close();
  });

  it('colours each failure kind apart from answers and from each other, in the bars, the pixels and the legend', async () => {
    const { page } = await open(1280);
    const byView = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLCanvasElement>('canvas[data-chart="waterfall"]')].map((c) => {
        const chart = window.Chart.getChart(c);
        const colours = (chart?.data.datasets[0]?.backgroundColor ?? []) as string[];
        const ctx = c.getContext('2d');
        const dpr = chart?.currentDevicePixelRatio ?? 1;
        // The pixel at the middle of each bar: what a reader sees.
        const pixels = (chart?.getDatasetMeta(0).data ?? []).map((bar) => {
          if (Math.abs(bar.x - bar.base) < 6) return null;
          const p = ctx?.getImageData(Math.round(((bar.x + bar.base) / 2) * dpr), Math.round(bar.y * dpr), 1, 1).data;
          return p ? `rgb(${p[0]}, ${p[1]}, ${p[2]})` : null;
        });
        const section = c.closest('section');
        const legend = [...(section?.querySelectorAll<HTMLElement>('.legend li') ?? [])].map((li) => ({
          key: li.dataset.legend ?? '',
          title: li.title,
          colour: getComputedStyle(li.querySelector('.swatch') ?? li).backgroundColor,
        }));
        return { label: section?.dataset.label ?? '', colours, pixels, legend };
      }),
    );
    const docs = await Promise.all(FIXTURES.map(fixtureDoc));
    const colourOf = new Map<string, Set<string>>(); // kind → bar colours
    const toRgb = (hex: string) => `rgb(${[1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)).join(', ')})`;
    for (const v of byView) {
      const [scenario, variant] = v.label.split(':');
      const doc = docs.find((d) => d.scenario.name === scenario);
      const requests = [...(doc?.requests ?? [])].filter((r) => (variant ? r.variant === variant : true)).sort((a, b) => a.start - b.start);
      expect(v.colours.length).toBe(requests.length);
      requests.forEach((r, i) => {
        const kind = kindOf(r);
        const colour = v.colours[i] ?? '';
        colourOf.set(kind, (colourOf.get(kind) ?? new Set()).add(kind === 'ok' ? 'ok' : colour));
        if (kind === 'ok') colourOf.set('ok-bars', (colourOf.get('ok-bars') ?? new Set()).add(colour));
        const px = v.pixels[i];
        if (kind !== 'ok' && px) expect([v.label, r.id, px]).toEqual([v.label, r.id, toRgb(colour)]);
      });
      for (const kind of new Set(requests.map(kindOf))) {
        if (kind === 'ok') continue;
        const item = v.legend.find((l) => l.key === kind);
        expect(item, `${v.label}: legend item for ${kind}`).toBeDefined();
        expect(item?.colour).toBe(toRgb([...(colourOf.get(kind) ?? [])][0] ?? ''));
        expect(item?.title.length).toBeGreaterThan(10);
      }
    }
    const failureColours = ['http', 'reset', 'eof', 'timeout', 'refused'].map((k) => [...(colourOf.get(k) ?? [])]);
    // One colour per kind, five different ones, none of them a colour an answered request is drawn in.
    expect(failureColours.map((c) => c.length)).toEqual([1, 1, 1, 1, 1]);
    expect(new Set(failureColours.flat()).size).toBe(5);
    expect(failureColours.flat().filter((c) => colourOf.get('ok-bars')?.has(c))).toEqual([]);
    await page.close();
  });

  it('draws the queued span and says so in the legend where requests queued, and nowhere else; draws the waves', async () => {
    const { page } = await open(1280);
    const views = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLCanvasElement>('canvas[data-chart="waterfall"]')].map((c) => {
        const px = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? new Uint8ClampedArray();
        let grey = 0; // the queued colour, #8c96a0
        for (let i = 0; i < px.length; i += 4) if (px[i] === 0x8c && px[i + 1] === 0x96 && px[i + 2] === 0xa0) grey++;
        const section = c.closest('section');
        return {
          label: section?.dataset.label ?? '',
          grey,
          marks: window.labReport.marks[c.dataset.view ?? ''],
          legend: [...(section?.querySelectorAll<HTMLElement>('.legend li') ?? [])].map((li) => li.dataset.legend),
          waves: section?.querySelector('.waves')?.textContent ?? '',
          batches: [...(section?.querySelectorAll('table.metrics tr') ?? [])].find((tr) => tr.firstElementChild?.textContent === 'batches')
            ?.lastElementChild?.textContent,
        };
      }),
    );
    const docs = await Promise.all(FIXTURES.map(fixtureDoc));
    for (const v of views) {
      const [scenario, variant] = v.label.split(':');
      const doc = docs.find((d) => d.scenario.name === scenario);
      const queued = queuedCount((doc?.requests ?? []).filter((r) => (variant ? r.variant === variant : true)));
      expect([v.label, v.marks?.queued, v.legend.includes('queued'), v.grey > 0]).toEqual([v.label, queued, queued > 0, queued > 0]);
    }
    const l4 = views.find((v) => v.label === 'keepalive-l4');
    expect(l4?.marks?.queued).toBe(15);
    expect(l4?.grey).toBeGreaterThan(100);
    // The blog's stall: four waves of five, in words (as the terminal prints them) and as lines on the chart.
    expect(l4?.waves).toMatch(/^4 completion waves \(gap > 500 ms\): 3\.\d\d s ×5 · 6\.\d\d s ×5 · 9\.\d\d s ×5 · 12\.\d\d s ×5$/);
    expect(l4?.batches).toBe('4');
    expect(l4?.marks?.waves).toBe(4);
    expect(l4?.legend).toContain('wave');
    await page.close();
  });
});
