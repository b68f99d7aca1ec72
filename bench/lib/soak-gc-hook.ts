import { monitorEventLoopDelay } from 'node:perf_hooks';

/**
 * Preloaded into the soak's proxy child (`node --expose-gc --import tsx --import <this> lab.js proxy ...`):
 * the hidden way to ask a `lab proxy` for a full GC and its heap figures without touching the CLI.
 * Over the IPC channel the parent sends 'soak:gc'; the child collects and replies with memoryUsage() and
 * its event-loop delay since the previous 'soak:gc' (a stalled loop is what turns slow into late).
 */
const send = process.send?.bind(process);
if (send !== undefined) {
  const RESOLUTION_MS = 20;
  const loop = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  loop.enable();
  // The histogram holds each timer's whole interval: less the resolution, what is left is the delay.
  const ms = (ns: number): number => Math.max(0, Math.round(ns / 1e5) / 10 - RESOLUTION_MS);
  process.on('message', (msg: unknown) => {
    if (msg !== 'soak:gc') return;
    const loopDelayMs = { p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max) };
    loop.reset();
    const gc = (globalThis as { gc?: () => void }).gc;
    // Twice: the first pass runs finalizers that free more on the second.
    gc?.();
    gc?.();
    send({ gc: gc !== undefined, loopDelayMs, ...process.memoryUsage() });
  });
  // The channel must not keep the proxy alive once `lab proxy` has closed on SIGTERM.
  process.channel?.unref();
  // The parent died without stopping us: stop as on SIGTERM rather than linger as an orphan.
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}
