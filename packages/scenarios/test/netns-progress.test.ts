import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LabEvent } from '@keepalive-lab/core';
import { loadScenario, runToDocument, type ResultDocument, type RunEvent } from '../src/index.js';
import type { LoadedScenario } from '../src/loader.js';
import { namespaceSupport, talkToChild, type NamespaceRequest, type NetworkedDocument } from '../src/netns.js';

/**
 * A namespaced run's stream crosses the process boundary (netns.ts): the child writes NDJSON on
 * its stdout, a { progress } line per event as it happens, then one { result } line, and the
 * parent hands each event to its listener. The listener follows the run as it would on the host;
 * a line off the protocol fails the run at once.
 */
const ns = await namespaceSupport(); // asked once

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lab-netns-progress-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Two variants of 15 requests, one at a time 20 ms apart: each run lasts ~300 ms, long enough for a heartbeat (200 ms). */
const REQUESTS = 15;
async function smallScenario(): Promise<LoadedScenario> {
  const file = join(dir, 'ns-progress.yaml');
  await writeFile(
    file,
    'name: ns-progress\ntitle: ns-progress\nnetwork: { namespace: true }\nproxy: { kind: l7 }\n' +
      `client: { requests: ${REQUESTS}, concurrency: 1, interval: 20ms }\n` +
      'variants:\n  - { name: ka, set: { client.keepAlive: true } }\n  - { name: close, set: { client.keepAlive: false } }\n',
  );
  const loaded = await loadScenario(file);
  if (!loaded.ok) throw loaded.error;
  return loaded.value;
}

/** What varies from one run to the next: latencies and durations. Every other metric is a count and must match. */
const timed = (k: string) => /(^|:)(latency\.|duration)/.test(k);
const counts = (m: ResultDocument['metrics']) => Object.fromEntries(Object.entries(m).filter(([k]) => !timed(k)));

describe.skipIf(!ns.ok)(`a namespaced run's progress, live${ns.ok ? '' : ` (skipped: ${ns.why})`}`, () => {
  it('reaches the listener as it happens: start, ready, every request, end, per variant, before the run resolves', async () => {
    const loaded = await smallScenario();
    const got: { p: RunEvent; at: number; afterResolve: boolean }[] = [];
    let resolved = false;
    const t0 = performance.now();
    const follow = { emit: (p: RunEvent) => got.push({ p, at: performance.now() - t0, afterResolve: resolved }), detail: true };
    const doc = (await runToDocument(loaded, follow).then((d) => {
      resolved = true;
      return d;
    })) as NetworkedDocument;
    const n = got.length;
    await new Promise((r) => setTimeout(r, 100));
    expect(got.length).toBe(n); // nothing after the promise resolved
    expect(got.filter((g) => g.afterResolve)).toEqual([]);
    expect(doc.network.namespace).toBe(true);

    // Per variant, as on the host: start, ready, the requests (done 1..N), end last; ticks and events in between.
    const runs: RunEvent[][] = [];
    for (const { p } of got) {
      if (p.type === 'start') runs.push([]);
      runs[runs.length - 1]?.push(p);
    }
    expect(runs.map((r) => [r[0]?.type, r[1]?.type, r[r.length - 1]?.type])).toEqual([
      ['start', 'ready', 'end'],
      ['start', 'ready', 'end'],
    ]);
    for (const [i, run] of runs.entries()) {
      const variant = doc.variants?.[i];
      if (variant === undefined) throw new Error(`no variant ${i} in the document`);
      const start = run[0] as Extract<RunEvent, { type: 'start' }>;
      const end = run[run.length - 1] as Extract<RunEvent, { type: 'end' }>;
      expect([start.variant, start.total, start.hops, start.scenario.client.keepAlive]).toEqual([
        variant.name,
        REQUESTS,
        ['l7'],
        variant.scenario.client.keepAlive,
      ]);
      expect(end).toMatchObject({ variant: variant.name, durationMs: variant.durationMs, verdict: variant.verdict, error: null });
      const requests = run.filter((p) => p.type === 'request');
      expect(requests.map((p) => p.done)).toEqual(Array.from({ length: REQUESTS }, (_, k) => k + 1));
      expect(run.filter((p) => p.type === 'tick').length).toBeGreaterThan(0);

      // The same clock as the document: ms since this variant's run started (the child's own Recorder).
      const docRequests = doc.requests.filter((r) => r.variant === variant.name);
      expect(requests.map((p) => [p.record.id, p.record.status, p.t])).toEqual(docRequests.map((r) => [r.id, r.status, r.end]));
      expect(start.t).toBeLessThan(50);
      expect(run.every((p) => p.t >= 0 && p.t <= end.t)).toBe(true);
      expect(end.t).toBeGreaterThanOrEqual(variant.durationMs);
      // Every event the components recorded, in order, as the document has them.
      const events = run.flatMap((p) => (p.type === 'event' ? [p.event] : []));
      const docEvents = (doc.events as (LabEvent & { variant?: string })[])
        .filter((e) => e.variant === variant.name)
        .map(({ variant: _, ...e }) => e);
      expect(events).toEqual(docEvents);
    }

    // Live, not at the end: the first answer reached the listener well before the last run ended (30 requests 20 ms apart).
    const firstAnswer = got.find((g) => g.p.type === 'request')?.at ?? Number.NaN;
    const lastEnd = got[got.length - 1]?.at ?? Number.NaN;
    expect(lastEnd - firstAnswer).toBeGreaterThan(200);

    // The document is the same with a listener as without one: every count equal, the same times measured.
    const plain = (await runToDocument(loaded)) as NetworkedDocument;
    expect(counts(doc.metrics)).toEqual(counts(plain.metrics));
    expect(Object.keys(doc.metrics).sort()).toEqual(Object.keys(plain.metrics).sort());
    expect(Object.keys(doc).sort()).toEqual(Object.keys(plain).sort());
    expect([doc.verdict, doc.network, doc.requests.length, doc.events.length]).toEqual([
      plain.verdict,
      plain.network,
      plain.requests.length,
      plain.events.length,
    ]);
  });

  it('the child writes one line per event and then its result, and only the result when not asked for progress', async () => {
    const loaded = await smallScenario();
    const lines = async (progress: boolean) => {
      const req: NamespaceRequest = { loaded, localPortRange: null, progress, detail: progress };
      const entry = fileURLToPath(new URL('../src/netns-entry.ts', import.meta.url));
      const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
      const child = spawn('unshare', ['-rn', '--', process.execPath, '--import', tsx, entry], { stdio: ['pipe', 'pipe', 'inherit'] });
      child.stdin.end(JSON.stringify(req));
      let out = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      await new Promise((r) => child.once('close', r));
      expect(out.endsWith('\n')).toBe(true);
      return out
        .slice(0, -1)
        .split('\n')
        .map((l) => Object.keys(JSON.parse(l) as object));
    };
    const asked = await lines(true);
    expect(asked[asked.length - 1]).toEqual(['result']);
    expect(asked.slice(0, -1).every((k) => k.length === 1 && k[0] === 'progress')).toBe(true);
    expect(asked.length).toBeGreaterThan(2 * (REQUESTS + 3));
    expect(await lines(false)).toEqual([['result']]);
  });
});

/** The parent's side against a child played by a script: what a broken child does must fail the run, never hang it. */
describe("the parent's reading of the child's lines", () => {
  const req = { loaded: {}, localPortRange: null, progress: true } as unknown as NamespaceRequest;
  const tick = (t: number) => ({ type: 'tick', t, variant: null, done: 0, total: 1, waitingFor: 'x' });
  const line = (v: unknown) => `${JSON.stringify(v)}\n`;
  const okResult = { result: { ok: true, doc: { schema: 'x' }, localPortRange: null } };

  /** A child that writes `writes` on stdout (each after `gapMs`), then stays alive unless `exit`. */
  function play(writes: (string | number[])[], opts: { exit?: number; stderr?: string; gapMs?: number } = {}) {
    const script = `
      const writes = ${JSON.stringify(writes)};
      process.stdin.resume();
      ${opts.stderr ? `process.stderr.write(${JSON.stringify(opts.stderr)});` : ''}
      let i = 0;
      const next = () => {
        if (i === writes.length) {
          ${opts.exit !== undefined ? `process.stdout.write('', () => process.exit(${opts.exit}));` : 'setInterval(() => {}, 1000);'}
          return;
        }
        const w = writes[i++];
        process.stdout.write(typeof w === 'string' ? w : Buffer.from(w));
        setTimeout(next, ${opts.gapMs ?? 5});
      };
      next();`;
    return spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'pipe'] });
  }

  it('hands each progress line to the listener as it comes, even cut across chunks mid-character, and returns the result', async () => {
    const withDots = { ...tick(2), waitingFor: 'the origin … █ to close' };
    const bytes = [...Buffer.from(line({ progress: withDots }))];
    const cut = bytes.indexOf(0xe2) + 1; // inside '…'
    const got: RunEvent[] = [];
    const reply = await talkToChild(
      play([line({ progress: tick(1) }), bytes.slice(0, cut), bytes.slice(cut), line(okResult)], { exit: 0 }),
      req,
      'fake',
      (p) => got.push(p),
    );
    expect(got).toEqual([tick(1), withDots]);
    expect(reply).toEqual(okResult.result);
  });

  it.each([
    ['not JSON', [line({ progress: tick(1) }), 'garbage from a component\n'], 'a line that is not JSON', 'garbage from a component'],
    ['an unknown key', [line({ hello: 1 })], 'a line that is not its protocol', '{\\"hello\\":1}'],
    ['an event of no known type', [line({ progress: { type: 'nope', t: 1 } })], 'a line that is not its protocol', 'nope'],
    ['two keys', [line({ progress: tick(1), result: okResult.result })], 'a line that is not its protocol', 'progress'],
    ['a line after the result', [line(okResult), line({ progress: tick(1) })], 'a line after its result', 'tick'],
  ])('fails at once on %s, killing a child that would go on', async (_what, writes, said, quoted) => {
    const child = play(writes as string[]);
    const t0 = performance.now();
    const got: RunEvent[] = [];
    const err = await talkToChild(child, req, 'fake', (p) => got.push(p)).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'LAB_ERR_RUN_FAILED',
      message: expect.stringContaining(`fake: the run in its network namespace wrote ${said}`),
    });
    expect((err as Error).message).toContain(quoted);
    expect(child.signalCode).toBe('SIGKILL');
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(got.length).toBeLessThanOrEqual(1);
  });

  it('fails on a last line cut off by the end of the child, saying how it ended and what it said on stderr', async () => {
    const err = await talkToChild(
      play([line({ progress: tick(1) }), '{"result": {"ok": tr'], { exit: 3, stderr: 'the child said goodbye\n' }),
      req,
      'fake',
      () => {},
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'LAB_ERR_RUN_FAILED',
      message:
        'fake: the run in its network namespace ended (exit code 3) in the middle of a line: 20 bytes on stdout after its last newline: the child said goodbye',
    });
  });

  it('fails on no result at all, as before', async () => {
    const err = await talkToChild(play([line({ progress: tick(1) })], { exit: 0 }), req, 'fake').catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'LAB_ERR_RUN_FAILED',
      message: 'fake: the run in its network namespace ended without a result (exit code 0)',
    });
  });

  it("passes the child's stderr through as it comes", async () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await talkToChild(play([line(okResult)], { exit: 0, stderr: 'a peer said something\n' }), req, 'fake');
      expect(write.mock.calls.map((c) => String(c[0])).join('')).toContain('a peer said something\n');
    } finally {
      write.mockRestore();
    }
  });

  it('a listener that throws fails the run with its error and ends the child', async () => {
    const child = play([line({ progress: tick(1) })]);
    const boom = new Error('the page broke');
    const err = await talkToChild(child, req, 'fake', () => {
      throw boom;
    }).catch((e: unknown) => e);
    expect(err).toBe(boom);
    expect(child.signalCode).toBe('SIGKILL');
  });
});
