/**
 * The soak bench (issue 10): minutes of client churn through the lab's L7
 * engines, then the proxy's RSS, fds and sockets must be back to their
 * baseline, with no CLOSE_WAIT and no stuck request. A bench, not a test.
 *
 *   pnpm soak [--engines l7,l7-fast] [--minutes 10] [--clients 2000] [--json]
 *
 * Per engine, one after the other: the lab origin and `lab proxy <engine>`
 * as child processes; a warm-up churn; the baseline (settled, after a GC);
 * the churn with origin restarts; the end figures (settled, after a GC).
 * Exit 1 if an engine is not back to baseline (soak-verdict.ts), 2 on bad usage.
 */
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import { startOrigin, startProxy } from './lib/soak-children.js';
import { runChurn } from './lib/soak-churn.js';
import { measureSettled, meterLoad, samplePeaks } from './lib/soak-measure.js';
import { renderSoak, type EngineSoak } from './lib/soak-report.js';
import { restartOriginDuring, type OriginHolder } from './lib/soak-restarts.js';
import { verdictFailures } from './lib/soak-verdict.js';

const ENGINES = ['l7', 'l7-fast'];
/** Response body of the soak's origin: big enough to be cut mid-response and to back up a slow reader. */
const BODY_BYTES = 16 * 1024;
/** Between sessions a client thinks 4-16 s: with 2,000 clients about 200 sessions a second, not a flood on 2 cores. */
const THINK_MS = [4_000, 16_000] as const;
/** One origin restart per this much churn (ms), at least two. */
const RESTART_EVERY_MS = 90_000;

function usage(message: string): never {
  process.stderr.write(`soak: ${message}\nusage: pnpm soak [--engines l7,l7-fast] [--minutes 10] [--clients 2000] [--json]\n`);
  process.exit(2);
}

function options() {
  let values: { engines?: string; minutes?: string; clients?: string; json?: boolean };
  try {
    ({ values } = parseArgs({
      options: { engines: { type: 'string' }, minutes: { type: 'string' }, clients: { type: 'string' }, json: { type: 'boolean' } },
    }));
  } catch (err) {
    usage((err as Error).message);
  }
  const engines = (values.engines ?? ENGINES.join(',')).split(',').filter((e) => e !== '');
  const unknown = engines.filter((e) => !ENGINES.includes(e));
  if (engines.length === 0 || unknown.length > 0) usage(`--engines takes ${ENGINES.join(', ')}; got ${unknown.join(', ') || 'none'}`);
  const minutes = Number(values.minutes ?? 10);
  if (!(minutes > 0 && minutes <= 120)) usage(`--minutes takes a number in (0, 120]; got ${values.minutes}`);
  const clients = Number(values.clients ?? 2000);
  if (!(Number.isInteger(clients) && clients > 0 && clients <= 5000))
    usage(`--clients takes an integer in [1, 5000]; got ${values.clients}`);
  return { engines, churnMs: minutes * 60_000, clients, json: values.json === true };
}

const log = (json: boolean, line: string): void => {
  // The progress goes to stderr with --json, so stdout stays one document.
  (json ? process.stderr : process.stdout).write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
};

async function soakEngine(engine: string, o: ReturnType<typeof options>): Promise<EngineSoak> {
  const say = (line: string) => log(o.json, `[${engine}] ${line}`);
  const holder: OriginHolder = { current: await startOrigin(BODY_BYTES), bodyBytes: BODY_BYTES };
  const proxy = await startProxy(engine, holder.current.port);
  try {
    say(`origin on :${holder.current.port}, lab proxy ${engine} on :${proxy.port} (pid ${proxy.pid})`);
    // Long enough for V8 and the pools to reach their steady size under the full load.
    const warmupMs = Math.min(30_000, Math.max(5_000, o.churnMs / 6));
    say(`warm-up: ${warmupMs / 1000} s of churn`);
    await runChurn({ port: proxy.port, clients: o.clients, durationMs: warmupMs, thinkMs: THINK_MS });
    const baseline = await measureSettled(proxy);
    say(`baseline: RSS ${(baseline.rss / 1048576).toFixed(1)} MB, ${baseline.fds} fds, sockets ${JSON.stringify(baseline.tcp)}`);
    const restarts = Math.max(2, Math.round(o.churnMs / RESTART_EVERY_MS));
    say(`churn: ${o.churnMs / 60_000} min, ${o.clients} clients, ${restarts} origin restarts`);
    const peaks = samplePeaks(proxy.pid, 2_000);
    const loadMeter = meterLoad(proxy, o.churnMs);
    const progress = setInterval(() => say(`… ${proxy.events.forward.toLocaleString('en-US')} requests forwarded so far`), 60_000);
    const [behaviours, restartLog, load] = await Promise.all([
      runChurn({ port: proxy.port, clients: o.clients, durationMs: o.churnMs, thinkMs: THINK_MS }),
      restartOriginDuring(holder, restarts, o.churnMs),
      loadMeter,
    ]);
    clearInterval(progress);
    const peak = peaks.stop();
    say('churn over; settling');
    const end = await measureSettled(proxy);
    say(`end: RSS ${(end.rss / 1048576).toFixed(1)} MB, ${end.fds} fds, sockets ${JSON.stringify(end.tcp)}`);
    const failures = verdictFailures({ baseline, end, behaviours, events: proxy.events, exitedEarly: proxy.exitedEarly() });
    return {
      engine,
      warmupMs,
      churnMs: o.churnMs,
      behaviours,
      restarts: restartLog,
      baseline,
      end,
      peak,
      load,
      proxyEvents: proxy.events,
      failures,
    };
  } finally {
    await proxy.stop();
    await holder.current.stop('SIGTERM');
  }
}

const o = options();
const started = new Date().toISOString();
const load = loadavg()
  .map((l) => l.toFixed(2))
  .join(' ');
const runs: EngineSoak[] = [];
for (const engine of o.engines) runs.push(await soakEngine(engine, o));
const settings = {
  started,
  loadAverageAtStart: load,
  clients: o.clients,
  churnMinutes: o.churnMs / 60_000,
  bodyBytes: BODY_BYTES,
  thinkMs: THINK_MS,
};
if (o.json) process.stdout.write(`${JSON.stringify({ settings, engines: runs }, null, 2)}\n`);
else {
  const header = `soak: ${o.clients} clients, ${o.churnMs / 60_000} min of churn per engine, ${BODY_BYTES / 1024} KiB responses, load average at start ${load}`;
  process.stdout.write(renderSoak(runs, header));
}
process.exitCode = runs.some((r) => r.failures.length > 0) ? 1 : 0;
