import type { LabEvent, RequestRecord } from '@keepalive-lab/core';
import { raceDrops } from '@keepalive-lab/scenarios';
import { ms, table, type Painter } from './style.js';

/**
 * Every request that crossed an origin's close: which origin connection, how
 * long it had idled, how far into the closing window it arrived, and what the
 * client got in the end. Null when no request met a closing window.
 */
export function renderRaceTable(requests: RequestRecord[], events: LabEvent[], p: Painter): string | null {
  const drops = raceDrops(requests, events);
  if (drops.length === 0) return null;
  const t = table(['request', 'origin conn', 'idle before', 'into the window', 'closed by', 'client got'].map((h) => p.c.bold(h)));
  for (const d of drops) {
    const ok = /^[23]\d\d$/.test(d.outcome);
    t.push([
      d.id,
      `${d.origin} #${d.conn}`,
      ms(d.idleMs),
      ms(d.intoWindowMs),
      'origin (idle timeout)',
      ok ? p.c.green(`${d.outcome} (sent again)`) : p.c.red(d.outcome),
    ]);
  }
  return t.toString();
}
