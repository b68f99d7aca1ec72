import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuMicros } from './cpu.js';
import type { HeapFigures, ProxyChild } from './soak-children.js';
import { sampleProcess, type ProcSample } from './soak-proc.js';

/** The proxy's idle timeouts are 2 s and the origin's 2 s + node's 1 s: every idle socket is gone by then. */
const SETTLE_MIN_MS = 8_000;
/** ...and if fds or sockets still move, wait for them to stop, up to this long (ms). */
const SETTLE_MAX_MS = 30_000;

export interface Measurement extends ProcSample {
  /** After the forced GC; `heap.rss` is node's own view, `rss` the kernel's VmRSS. */
  heap: HeapFigures;
  /** How long it took fds and sockets to stop moving after the load ended, ms. */
  settledMs: number;
}

const same = (a: ProcSample, b: ProcSample): boolean => a.fds === b.fds && JSON.stringify(a.tcp) === JSON.stringify(b.tcp);

/**
 * Waits for the proxy to settle once the load is over (SETTLE_MIN_MS, then
 * until two samples a second apart agree), forces a full GC in it, then
 * reads its RSS, fds and sockets.
 */
export async function measureSettled(proxy: ProxyChild): Promise<Measurement> {
  const start = Date.now();
  await sleep(SETTLE_MIN_MS);
  let last = await sampleProcess(proxy.pid);
  while (Date.now() - start < SETTLE_MAX_MS) {
    await sleep(1_000);
    const next = await sampleProcess(proxy.pid);
    const stable = same(last, next);
    last = next;
    if (stable) break;
  }
  const settledMs = Date.now() - start;
  const heap = await proxy.gc();
  // Give the kernel a moment to account for pages the GC gave back.
  await sleep(200);
  return { ...(await sampleProcess(proxy.pid)), heap, settledMs };
}

/** The largest RSS, fd and socket counts seen while the load ran, sampled every few seconds. */
export interface Peak {
  rss: number;
  fds: number;
  established: number;
  closeWait: number;
  /** Connections waiting for the proxy to accept them (its listen backlog is node's 511). */
  acceptQueue: number;
  /** When the accept queue peaked, s after sampling began (to set beside the origin restarts). */
  acceptQueueAt: number;
}

export function samplePeaks(pid: number, everyMs: number): { stop: () => Peak } {
  const peak: Peak = { rss: 0, fds: 0, established: 0, closeWait: 0, acceptQueue: 0, acceptQueueAt: 0 };
  const start = Date.now();
  const timer = setInterval(() => {
    sampleProcess(pid).then(
      (s) => {
        peak.rss = Math.max(peak.rss, s.rss);
        peak.fds = Math.max(peak.fds, s.fds);
        peak.established = Math.max(peak.established, s.tcp.ESTABLISHED ?? 0);
        peak.closeWait = Math.max(peak.closeWait, s.tcp.CLOSE_WAIT ?? 0);
        if (s.acceptQueue > peak.acceptQueue) {
          peak.acceptQueue = s.acceptQueue;
          peak.acceptQueueAt = Math.round((Date.now() - start) / 1000);
        }
      },
      () => undefined, // the proxy is gone: its exit is reported by the verdict
    );
  }, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      return peak;
    },
  };
}

/** The churn as the proxy lived it, over the churn's nominal duration (late sessions draining after it are left out). */
export interface ChurnLoad {
  wallMs: number;
  forwardedPerSecond: number;
  /** The proxy's CPU time over the wall time: 1 = one core busy throughout. */
  cpuShareOfOneCore: number | null;
  /** The machine's 1-minute load average at the churn's end: other work shares the 2 cores. */
  loadAverage: number;
}

/** Resolves `durationMs` from now with the proxy's forwards a second and CPU share over that span. */
export async function meterLoad(proxy: ProxyChild, durationMs: number): Promise<ChurnLoad> {
  const cpu0 = cpuMicros(proxy.pid);
  const forwarded0 = proxy.events.forward;
  const t0 = Date.now();
  await sleep(durationMs);
  const wallMs = Date.now() - t0;
  const cpu1 = cpuMicros(proxy.pid);
  return {
    wallMs,
    forwardedPerSecond: Math.round(((proxy.events.forward - forwarded0) * 1000) / wallMs),
    cpuShareOfOneCore: cpu0 === null || cpu1 === null ? null : Math.round(((cpu1 - cpu0) / 1000 / wallMs) * 100) / 100,
    loadAverage: loadavg()[0] ?? 0,
  };
}
