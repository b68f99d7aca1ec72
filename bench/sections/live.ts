import { request } from 'node:http';
import { PassThrough } from 'node:stream';
import { LiveModel, main, startLiveServer, type CommandContext } from '@keepalive-lab/cli';
import { BUILTIN_SCENARIO_DIR, loadScenario, runToDocument, type RunEvent } from '@keepalive-lab/scenarios';
import { median, ROUNDS, type Measurement, type SectionResult } from '../lib/measurement.js';

/** Issue 11: the live page may cost a run this much of its duration. */
const GOAL = 0.05;
const REQUESTS = 10_000;
const SCENARIO = 'keepalive-direct';
const WITHOUT = `lab run ${SCENARIO}`;
const WITH = `lab run ${SCENARIO} --watch (a page connected)`;

interface LiveRun {
  /** The run's own duration: first request to last answer (the result's durationMs). */
  durationMs: number;
  p99: number;
  ok: number;
  failed: number;
  /** CPU this process used for the whole command (ms): the run, its servers, the page's server. */
  cpuMs: number;
  /** What the page's stream carried: messages and bytes. */
  messages: number;
  bytes: number;
}

/** A CommandContext on memory streams; stderr is readable as it comes (the URL line). */
function benchContext(): { ctx: CommandContext; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  // --watch-exit: nothing waits for a signal.
  const ctx: CommandContext = { stdout, stderr, stopSignal: new Promise(() => undefined), cwd: process.cwd() };
  return { ctx, out: () => out, err: () => err };
}

/** Subscribes to /events as a page would, counting what it gets until the server ends the stream. */
function subscribe(url: string): Promise<{ messages: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}events`, (res) => {
      let messages = 0;
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        messages += chunk.toString().split('\n\n').length - 1;
      });
      res.on('end', () => resolve({ messages, bytes }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * One `lab run keepalive-direct --set client.requests=10000 --json`, in this
 * process as the CLI runs it; with the page, `--watch --watch-exit` and a
 * subscriber (the "page") connected as soon as the URL is printed: the
 * servers take longer to start than that, so it follows the whole run.
 * Not `--open`: starting $BROWSER forks this process, CPU that is not the page's.
 */
async function oneRun(watch: boolean): Promise<LiveRun> {
  const { ctx, out, err } = benchContext();
  const args = ['node', 'lab', 'run', SCENARIO, '--set', `client.requests=${REQUESTS}`, '--json', '--no-save'];
  if (watch) args.push('--watch', '--watch-exit');
  const cpu0 = process.cpuUsage();
  const running = main(args, ctx);
  let stream: Promise<{ messages: number; bytes: number }> = Promise.resolve({ messages: 0, bytes: 0 });
  if (watch) {
    let url: string | undefined;
    while (url === undefined) {
      url = /live view: (http:\/\/\S+\/)/.exec(err())?.[1];
      if (url === undefined) await new Promise((r) => setTimeout(r, 5));
    }
    stream = subscribe(url);
  }
  const code = await running;
  const cpu = process.cpuUsage(cpu0);
  const seen = await stream;
  await new Promise((r) => setImmediate(r)); // the last stdout chunk
  if (code !== 0) throw new Error(`lab run ${SCENARIO} exited ${code}: ${err()}`);
  const doc = (JSON.parse(out()) as { durationMs: number; metrics: Record<string, number | null> }[])[0];
  if (!doc) throw new Error('lab run --json printed no document');
  const ok = doc.metrics['requests.ok'] ?? 0;
  return {
    durationMs: doc.durationMs,
    p99: doc.metrics['latency.p99'] ?? 0,
    ok,
    failed: REQUESTS - ok,
    cpuMs: (cpu.user + cpu.system) / 1000,
    ...seen,
  };
}

/** The page's model, timing its own work: each event it applies, each message it prepares. */
class TimedModel extends LiveModel {
  ms = 0;
  override apply(p: RunEvent): void {
    const t0 = performance.now();
    super.apply(p);
    this.ms += performance.now() - t0;
  }
  override take(): ReturnType<LiveModel['take']> {
    const t0 = performance.now();
    const m = super.take();
    this.ms += performance.now() - t0;
    return m;
  }
}

/**
 * The direct cost: the same run through runToDocument with the live server
 * and a subscriber, timing the work the page adds inside the run (the model
 * applying every event, each flush's message) as a share of the run's
 * duration: what end-to-end durations cannot show on a shared machine,
 * whose rounds vary by more than the cost.
 */
async function directCost(): Promise<{ share: number; perRequestUs: number }> {
  const loaded = await loadScenario(`${BUILTIN_SCENARIO_DIR}/${SCENARIO}.yaml`, [`client.requests=${REQUESTS}`]);
  if (!loaded.ok) throw loaded.error;
  const model = new TimedModel('live');
  const server = await startLiveServer(model, 0);
  try {
    const stream = subscribe(server.url);
    const doc = await runToDocument(loaded.value, { emit: (p) => server.apply(p), detail: true });
    await server.close();
    await stream;
    return { share: model.ms / doc.durationMs, perRequestUs: (model.ms * 1000) / REQUESTS };
  } finally {
    await server.close();
  }
}

const row = (label: string, runs: LiveRun[]): Measurement => {
  const best = runs.reduce((a, b) => (b.durationMs < a.durationMs ? b : a));
  return { label, rps: (best.ok / best.durationMs) * 1000, p99: best.p99, ok: best.ok, failed: best.failed, cpuPerReq: null };
};

/**
 * What watching costs a run: keepalive-direct with 10,000 requests, with and
 * without the live page (its server in the run's process, one subscriber
 * reading every message). Two measures, as the recorder section has: the
 * direct one (the page's own work, timed, over the run's duration) is
 * judged; end to end (whole runs with and without, alternating) is shown:
 * on a shared 2-core machine its rounds vary by more than the cost.
 */
export async function liveSection(): Promise<SectionResult> {
  await oneRun(false); // warm-up: JIT, the scenario's first load
  await oneRun(true);
  const direct: { share: number; perRequestUs: number }[] = [];
  for (let i = 0; i < ROUNDS; i++) direct.push(await directCost());
  const share = median(direct.map((d) => d.share));
  const perRequest = median(direct.map((d) => d.perRequestUs));
  const without: LiveRun[] = [];
  const withPage: LiveRun[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    without.push(await oneRun(false));
    withPage.push(await oneRun(true));
  }
  const m0 = median(without.map((r) => r.durationMs));
  const m1 = median(withPage.map((r) => r.durationMs));
  // As compare.ts does: interference only ever slows a round, so the best rounds compare the sides under the same conditions.
  const b0 = Math.min(...without.map((r) => r.durationMs));
  const b1 = Math.min(...withPage.map((r) => r.durationMs));
  const c0 = median(without.map((r) => r.cpuMs));
  const c1 = median(withPage.map((r) => r.cpuMs));
  const stream = withPage[withPage.length - 1] as LiveRun;
  const fmt = (runs: LiveRun[]) => runs.map((r) => Math.round(r.durationMs)).join(' ');
  const shown = (label: string, value: number) => ({ label, value, op: '<=' as const, target: GOAL, unit: '%' as const, judged: false });
  return {
    title: 'live page: what --watch costs a run',
    note:
      `${SCENARIO}, client.requests=${REQUESTS.toLocaleString('en-US')}, in-process as \`lab run --json\` runs it; ` +
      `${ROUNDS} alternating rounds; rows: the best round`,
    rows: [row(WITHOUT, without), row(WITH, withPage)],
    lines: [
      `the page's own work inside the run (its model applying each event and preparing each message, timed): ` +
        `${perRequest.toFixed(2)} µs per request, median of ${ROUNDS}`,
      `duration without the page: best ${Math.round(b0)} ms, median ${Math.round(m0)} ms (rounds: ${fmt(without)})`,
      `duration with a page connected: best ${Math.round(b1)} ms, median ${Math.round(m1)} ms (rounds: ${fmt(withPage)})`,
      `CPU of the lab's process per command: median ${Math.round(c0)} ms without, ${Math.round(c1)} ms with the page`,
      `the page's stream: ${stream.messages} messages, ${(stream.bytes / 1024).toFixed(0)} KB for ${REQUESTS.toLocaleString('en-US')} requests`,
    ],
    goals: [
      {
        label: "run duration taken by the page's own work (direct, median)",
        value: share,
        op: '<=',
        target: GOAL,
        unit: '%',
        judged: true,
      },
      shown('run duration added by a watching page (end to end, best rounds)', b1 / b0 - 1),
      shown('run duration added by a watching page (end to end, medians)', m1 / m0 - 1),
      shown('CPU added by a watching page (end to end, medians)', c1 / c0 - 1),
    ],
  };
}
