import type { Writable } from 'node:stream';
import type { RunEvent } from '@keepalive-lab/scenarios';

/** Redraws at most this often when answers stream in (10,000 requests must not mean 10,000 writes). */
const REDRAW_MS = 100;

/**
 * A single self-rewriting line on a TTY while a run waits (the stall takes
 * seconds: say what for). It follows the runner's stream without its detail
 * (run-hub.ts): each heartbeat moves the clock and the count; an ended
 * request, when a detail subscriber brings them, the count in between.
 * Callers only create it on a TTY.
 */
export function progressLine(out: Writable & { columns?: number }) {
  let shown = false;
  let drawnAt = -Infinity;
  const s = { variant: null as string | null, done: 0, total: 0, t: 0, waitingFor: '' };
  const draw = (): void => {
    const width = (out.columns ?? 100) - 1;
    const barW = 20;
    const filled = Math.round((s.done / Math.max(1, s.total)) * barW);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(barW - filled)}`;
    const head = `${s.variant ? `[${s.variant}] ` : ''}${bar} ${s.done}/${s.total} · ${(s.t / 1000).toFixed(1)}s · waiting for `;
    out.write(`\r\x1b[2K${(head + s.waitingFor).slice(0, width)}`);
    shown = true;
    drawnAt = performance.now();
  };
  return {
    /** One event of the run's stream. */
    follow(p: RunEvent): void {
      if (p.type === 'tick') {
        Object.assign(s, { variant: p.variant, done: p.done, total: p.total, t: p.t, waitingFor: p.waitingFor });
        draw();
      } else if (p.type === 'request' && shown) {
        // Before the first heartbeat there is no hint to show yet: the heartbeat draws first.
        Object.assign(s, { done: p.done, t: p.t });
        if (performance.now() - drawnAt >= REDRAW_MS) draw();
      }
    },
    clear(): void {
      if (shown) out.write('\r\x1b[2K');
    },
  };
}
