import type { LabEvent, RequestRecord } from '@keepalive-lab/core';
import { raceDrops } from '@keepalive-lab/scenarios';
import { fitTable, type Column } from './fit-table.js';
import { ms, type Painter } from './style.js';

/**
 * Every request that crossed an origin's close: which origin connection, how
 * long it had idled, how far into the closing window it arrived, and what the
 * client got in the end. Null when no request met a closing window.
 */
export function renderRaceTable(requests: RequestRecord[], events: LabEvent[], p: Painter): string | null {
  const drops = raceDrops(requests, events);
  if (drops.length === 0) return null;
  const columns: Column[] = [
    { head: 'request' },
    { head: 'origin conn' },
    { head: 'idle before' },
    { head: 'into the window' },
    { head: 'closed by', drop: 1 },
    { head: 'client got' },
  ];
  const rows = drops.map((d) => {
    const ok = /^[23]\d\d$/.test(d.outcome);
    return [
      d.id,
      `${d.origin} #${d.conn}`,
      ms(d.idleMs),
      ms(d.intoWindowMs),
      'origin (idle timeout)',
      ok ? p.c.green(`${d.outcome} (sent again)`) : p.c.red(d.outcome),
    ];
  });
  return fitTable(columns, rows, p);
}
