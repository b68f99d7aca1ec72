import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { chromiumMissing, hasChromium, launchChromium } from '../../../test-support/chromium.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';
import { fakeContext } from './fake-context.js';
import { connectOutcome, liveUrl, stoppedAfterEach, tcpHandles, withBrowserEnv } from './watch-support.js';

const track = stoppedAfterEach();

const why = `skipped: ${chromiumMissing}`;
if (!hasChromium) process.stderr.write(`watch-browser.test.ts ${why}\n`);

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const fixtures = join(root, 'packages', 'report', 'test', 'fixtures');
const artifacts = join(root, 'test-artifacts');

let dir: string;
let browser: BrowserContext;

beforeAll(async () => {
  if (!hasChromium) return;
  dir = await mkdtemp(join(tmpdir(), 'lab-watch-'));
  browser = await launchChromium(dir, { width: 1400, height: 1000 });
});
afterAll(async () => {
  if (!hasChromium) return;
  await browser.close();
  await rm(dir, { recursive: true, force: true });
});

/** What the page shows at one moment, read from its DOM (text and elements, no canvas). */
interface Sample {
  /** ms since the test began watching. */
  at: number;
  phase: string;
  client: number;
  origin: number;
  idle: number;
  done: number;
}

const sample = (page: Page, t0: number): Promise<Sample> =>
  page.evaluate((t0) => {
    const count = (s: string) => document.querySelectorAll(s).length;
    const done = document.querySelector('[data-counter="done"] b')?.textContent ?? '0';
    return {
      at: performance.timeOrigin + performance.now() - t0,
      phase: document.getElementById('phase')?.dataset.phase ?? '',
      client: count('.link[data-roles~="client"] .lane'),
      origin: count('.link[data-roles~="origin"] .lane'),
      idle: count('.link[data-roles~="origin"] .mark.idle'),
      done: Number(done),
    };
  }, t0);

/** Samples every ~50 ms until the page says the run is over. */
async function watchUntilDone(page: Page, timeoutMs: number): Promise<Sample[]> {
  const t0 = Date.now();
  const samples: Sample[] = [];
  for (;;) {
    const s = await sample(page, t0);
    samples.push(s);
    if (s.phase === 'done' || s.phase === 'failed') return samples;
    if (Date.now() - t0 > timeoutMs) throw new Error(`the page never said done: ${JSON.stringify(samples.slice(-3))}`);
    await page.waitForTimeout(50);
  }
}

/** The first sample at which `pick` reached `n`. */
const firstReach = (samples: Sample[], pick: (s: Sample) => number, n: number): Sample | undefined => samples.find((s) => pick(s) >= n);

function watchProblems(page: Page, origin: string): { problems: string[]; foreign: string[] } {
  const problems: string[] = [];
  const foreign: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('request', (r) => {
    if (!r.url().startsWith(origin)) foreign.push(r.url());
  });
  return { problems, foreign };
}

describe.skipIf(!hasChromium)(`lab run --watch in headless Chromium${hasChromium ? '' : ` (${why})`}`, () => {
  it(
    'keepalive-l4 live: 5 client lanes, origin lanes opening in 4 waves of 5, each wave after idle closes, ports as text',
    () =>
      withBrowserEnv(async () => {
        const f = fakeContext({ cwd: dir });
        // --open with $BROWSER=true: the run waits for the page, so the page sees it from its first connection.
        const running = track(f, main(['node', 'lab', 'run', 'keepalive-l4', '--watch', '--open', '--results-dir', 'res'], f.ctx));
        const url = await liveUrl(f);
        const page = await browser.newPage();
        const seen = watchProblems(page, url);
        await page.goto(url);
        const samples = await watchUntilDone(page, 40_000);
        const running$ = samples.filter((s) => s.phase === 'running');

        // Seen while the run was going: 5 client lanes, origin lanes 5 → 10 → 15 → 20, idle closes 5 → 10 → 15.
        expect(Math.max(...running$.map((s) => s.client))).toBe(5);
        const originSeen = [...new Set(running$.map((s) => s.origin))];
        expect(originSeen).toEqual([...originSeen].sort((a, b) => a - b)); // only ever grows
        for (const n of [5, 10, 15, 20]) expect(originSeen).toContain(n);
        const idleSeen = new Set(running$.map((s) => s.idle));
        for (const n of [5, 10, 15]) expect(idleSeen).toContain(n);
        // In order: a wave's idle closes come no later than the next wave's lanes, and waves are an idle timeout (+1 s) apart.
        for (const k of [1, 2, 3]) {
          const closed = firstReach(running$, (s) => s.idle, 5 * k);
          const next = firstReach(running$, (s) => s.origin, 5 * (k + 1));
          const wave = firstReach(running$, (s) => s.origin, 5 * k);
          expect(closed && next && wave).toBeTruthy();
          expect(closed?.at).toBeLessThanOrEqual(next?.at ?? 0);
          expect((next?.at ?? 0) - (wave?.at ?? 0)).toBeGreaterThan(2000);
        }

        // The final state: 20 origin lanes each closed ▼ idle-timeout by the origin, and the 5 waves' order in the lanes' own times.
        const last = samples[samples.length - 1] as Sample;
        expect(last).toMatchObject({ client: 5, origin: 20, idle: 20, done: 20 });
        const lanes = await page.$$eval('.link[data-roles~="origin"] .lane', (els) =>
          els.map((e) => ({ opened: Number((e as HTMLElement).dataset.opened), closed: Number((e as HTMLElement).dataset.closed) })),
        );
        const byOpen = lanes.sort((a, b) => a.opened - b.opened);
        for (const k of [0, 1, 2]) {
          const wave = byOpen.slice(5 * k, 5 * k + 5);
          const next = byOpen.slice(5 * k + 5, 5 * k + 10);
          // A new upstream connection needs the reply its client waited for, which an idle close released.
          expect(Math.min(...next.map((l) => l.opened))).toBeGreaterThanOrEqual(Math.min(...wave.map((l) => l.closed)));
        }
        const closeTexts = await page.$$eval('.link[data-roles~="origin"] .lane .close', (els) => els.map((e) => e.textContent ?? ''));
        expect(closeTexts.every((t) => /▼ .* idle-timeout \(origin\)/.test(t))).toBe(true);

        // Ports are text in the page: every client port and every port the origin saw, as the saved result has them.
        await expect.poll(() => f.err()).toContain('keeps its last state until Ctrl-C'); // saved by then
        const folder = join(dir, 'res', 'keepalive-l4');
        const doc = JSON.parse(await readFile(join(folder, (await readdir(folder))[0] ?? ''), 'utf8')) as {
          requests: { clientPort: number; originPort: number }[];
        };
        const text = await page.locator('#links').innerText();
        const ports = [...new Set(doc.requests.flatMap((r) => [r.clientPort, r.originPort]))];
        expect(ports).toHaveLength(25);
        expect(ports.filter((p) => !text.includes(String(p)))).toEqual([]);
        await page.hover('.link[data-roles~="client"] .lane .bar');
        expect(await page.locator('#chain').innerText()).toMatch(/^r\d+ .*\n\d+ → naive-l4 #\d+ {2}⇒ {2}\d+ → origin #\d+$/);

        await mkdir(artifacts, { recursive: true });
        await page.screenshot({ path: join(artifacts, 'watch-live.png'), fullPage: true });

        // Ctrl-C: the command ends, the page is told, nothing listens, no socket is left.
        f.stop('SIGINT');
        expect(await running).toBe(0);
        await expect.poll(() => page.locator('#phase').innerText()).toBe('done: reproduced · no longer served');
        expect(await connectOutcome(Number(new URL(url).port))).toBe('ECONNREFUSED');
        await expect.poll(tcpHandles).toBe(0);
        expect(seen.problems).toEqual([]);
        expect(seen.foreign).toEqual([]); // offline: nothing but the lab's own page, script and stream
        await page.close();
      }),
    60_000,
  );

  it('replays a saved result at --speed 2: pause holds the page still at a wave, resume plays it to the end', async () => {
    const fixture = join(fixtures, 'keepalive-l4.json');
    const doc = JSON.parse(await readFile(fixture, 'utf8')) as { requests: { clientPort: number; originPort: number }[] };
    const f = fakeContext({ cwd: dir });
    const running = track(f, main(['node', 'lab', 'show', fixture, '--watch', '--speed', '2'], f.ctx));
    const url = await liveUrl(f);
    const page = await browser.newPage();
    const seen = watchProblems(page, url);
    await page.goto(url);
    const t0 = Date.now();
    await expect.poll(() => sample(page, t0).then((s) => s.done), { timeout: 10_000, interval: 20 }).toBeGreaterThanOrEqual(5);
    await page.click('#pause');
    await expect.poll(() => page.locator('#phase').innerText()).toBe('paused');
    const held = await sample(page, t0);
    const clock = await page.locator('#clock').innerText();
    await page.waitForTimeout(800);
    const still = await sample(page, t0);
    expect({ ...still, at: 0 }).toEqual({ ...held, at: 0 });
    expect(await page.locator('#clock').innerText()).toBe(clock);
    // Paused after the first wave: on a loaded machine the click may land after the second (waves are 1.5 s apart at 2×).
    expect(held).toMatchObject({ phase: 'running', client: 5 });
    expect([5, 10, 15]).toContain(held.done);
    expect(held.origin).toBeGreaterThanOrEqual(held.done);

    await page.click('#pause'); // now labelled resume
    const resumedAt = Date.now();
    const samples = await watchUntilDone(page, 20_000);
    // 12.2 s of run at 2×, less what was already played (3 s per wave): at least one more wave gap (1.5 s), not 0.
    expect(Date.now() - resumedAt).toBeGreaterThan(1500);
    expect(samples[samples.length - 1]).toMatchObject({ client: 5, origin: 20, idle: 20, done: 20 });
    const text = await page.locator('#links').innerText();
    const ports = [...new Set(doc.requests.flatMap((r) => [r.clientPort, r.originPort]))];
    expect(ports.filter((p) => !text.includes(String(p)))).toEqual([]);

    // Restart: the page starts over from a fresh snapshot.
    await page.click('#restart');
    await expect.poll(() => sample(page, t0).then((s) => s.phase)).toBe('running');
    expect((await sample(page, t0)).origin).toBeLessThanOrEqual(5);

    f.stop('SIGINT');
    expect(await running).toBe(0);
    expect(await connectOutcome(Number(new URL(url).port))).toBe('ECONNREFUSED');
    await expect.poll(tcpHandles).toBe(0);
    expect(seen.problems).toEqual([]);
    expect(seen.foreign).toEqual([]);
    await page.close();
  });
});
