import { runLoad } from '@keepalive-lab/client';
import { CONNECTIONS, median, type Goal, type SectionResult } from '../lib/measurement.js';
import { startServerChild, type ChildStats, type ServerChild } from '../lib/server-child.js';

/** Issue 12: this many requests through l7-fast after the warm-up, RSS sampled along the way. */
const REQUESTS = 100_000;
const WARMUP_REQUESTS = 20_000;
/** RSS is read after each of these (a forced GC first): the trend, not just two points. */
const STEPS = 10;
/** Samples at each end whose medians are compared: one read of RSS moves by ±5 MB (V8 commits and releases young-generation pages). */
const ENDS = 3;
/** Each step is bounded in time too: at 2,000 req/s, the slowest this machine has seen, a step takes 10 s. */
const STEP_DEADLINE_MS = 30_000;
const MB = 1024 * 1024;
/**
 * "No growth", with room for what the medians of three reads still move by
 * (measured here: RSS drifted 126 → 117 MB over 140,000 requests, down;
 * heap used stayed within 0.4 MB). A leak of 50 bytes per request shows as
 * 3.5 MB between the ends (70,000 requests apart): in the heap first if it
 * is JS objects, in RSS only if it is native (buffers, sockets).
 */
const RSS_GROWTH_GOAL = 4 * MB;
const HEAP_GROWTH_GOAL = 1 * MB;

/** `n` keep-alive GETs through the proxy by the lab's fast engine, CONNECTIONS at a time; resolves failures. */
async function drive(url: string, n: number): Promise<number> {
  const { records } = await runLoad({
    url,
    requests: n,
    concurrency: CONNECTIONS,
    keepAlive: true,
    maxSockets: CONNECTIONS,
    method: 'GET',
    engine: 'fast',
    signal: AbortSignal.timeout(STEP_DEADLINE_MS),
  });
  let failed = n - records.length;
  for (const r of records) if (r.status !== 200) failed++;
  return failed;
}

const mb = (bytes: number): string => (bytes / MB).toFixed(1);

/**
 * 100,000 requests through l7-fast (a child process, in front of a plain
 * node:http origin in another) after a warm-up of 20,000: its RSS and heap
 * used after a forced GC right after the warm-up and after every 10,000
 * requests. The goals are on the growth between the two ends, each end the
 * median of three reads.
 */
export async function l7FastGrowthSection(): Promise<SectionResult> {
  const origin = await startServerChild('plain');
  let proxy: ServerChild | null = null;
  try {
    proxy = await startServerChild(`l7-fast@${origin.port}`, { ipc: true });
    let failed = await drive(proxy.url, WARMUP_REQUESTS);
    const samples: ChildStats[] = [await proxy.stats()];
    const t0 = performance.now();
    for (let i = 0; i < STEPS; i++) {
      failed += await drive(proxy.url, REQUESTS / STEPS);
      samples.push(await proxy.stats());
    }
    const seconds = (performance.now() - t0) / 1000;
    const growth = (of: (s: ChildStats) => number): number => median(samples.slice(-ENDS).map(of)) - median(samples.slice(0, ENDS).map(of));
    const between = `median of the last ${ENDS} reads − of the first ${ENDS}`;
    const goals: Goal[] = [
      { label: `RSS growth (${between})`, value: growth((s) => s.rss), op: '<=', target: RSS_GROWTH_GOAL, unit: 'MB', judged: true },
      {
        label: 'heap used growth (the same)',
        value: growth((s) => s.heapUsed),
        op: '<=',
        target: HEAP_GROWTH_GOAL,
        unit: 'MB',
        judged: true,
      },
      { label: 'failed requests', value: failed, op: '<=', target: 0, unit: 'n', judged: true },
    ];
    return {
      title: `l7-fast proxy: RSS over ${REQUESTS.toLocaleString('en-US')} requests after a warm-up of ${WARMUP_REQUESTS.toLocaleString('en-US')}`,
      note: `plain node:http origin and l7-fast in child processes; lab load --engine fast, ${CONNECTIONS} keep-alive connections; RSS after a forced GC`,
      rows: [],
      goals,
      lines: [
        `RSS MB after warm-up, then every ${(REQUESTS / STEPS).toLocaleString('en-US')}: ${samples.map((s) => mb(s.rss)).join(' → ')}`,
        `heap used MB, the same points: ${samples.map((s) => mb(s.heapUsed)).join(' → ')} (of ${mb(samples[0]?.heapTotal ?? 0)} MB reserved)`,
        `${REQUESTS.toLocaleString('en-US')} requests in ${seconds.toFixed(1)} s ` +
          `(${Math.round(REQUESTS / seconds).toLocaleString('en-US')} req/s, forced GCs included)`,
      ],
    };
  } finally {
    await proxy?.stop();
    await origin.stop();
  }
}
