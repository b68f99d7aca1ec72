import { setTimeout as sleep } from 'node:timers/promises';
import { restartOrigin, type OriginChild } from './soak-children.js';

export interface OriginRestart {
  /** s after the churn began. */
  at: number;
  /** SIGTERM: a graceful stop (idle sockets closed, busy ones answered); SIGKILL: a crash. */
  signal: 'SIGTERM' | 'SIGKILL';
  /** How long nothing listened on the origin's port, ms. */
  downMs: number;
}

/** The origin that is up now: restarts replace it, the soak stops the last one. */
export interface OriginHolder {
  current: OriginChild;
  bodyBytes: number;
}

/**
 * Restarts the origin `count` times, evenly spread over `durationMs`, on the
 * same port: every pooled upstream socket of the proxy dies with it.
 * Alternately graceful and a crash, down 0.5-1.5 s each time.
 */
export async function restartOriginDuring(holder: OriginHolder, count: number, durationMs: number): Promise<OriginRestart[]> {
  const start = Date.now();
  const log: OriginRestart[] = [];
  for (let i = 1; i <= count; i++) {
    const at = start + (i * durationMs) / (count + 1);
    await sleep(Math.max(0, at - Date.now()));
    const signal = i % 2 === 1 ? 'SIGTERM' : 'SIGKILL';
    const port = holder.current.port;
    const down = Date.now();
    await holder.current.stop(signal);
    await sleep(500 + Math.random() * 1000);
    holder.current = await restartOrigin(port, holder.bodyBytes);
    log.push({ at: Math.round((down - start) / 100) / 10, signal, downMs: Date.now() - down });
  }
  return log;
}
