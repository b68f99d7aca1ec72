import type { RequestRecord } from '@keepalive-lab/core';
import { ms, type Painter } from './style.js';

export type TimelineRows = 'client' | 'origin';

/**
 * One row per connection, each request a bar from start to end over the run's
 * time axis, scaled to the terminal width. Waiting shows as `░`, the instant
 * of completion as `█`: the keepalive-l4 waves read as columns of █. Past
 * `maxRows` rows the busiest are kept and the rest counted.
 */
export function renderTimeline(requests: RequestRecord[], p: Painter, rows: TimelineRows = 'client', maxRows = 24): string {
  const done = requests.filter((r) => r.end !== null);
  if (done.length === 0) return p.c.dim('(no request completed: no timeline)');
  const tEnd = Math.max(...done.map((r) => r.end ?? 0));
  const tStart = Math.min(...requests.map((r) => r.start));
  const labelW = 16;
  const barW = Math.max(20, p.width - labelW - 4);
  const scale = (t: number) => Math.min(barW - 1, Math.floor(((t - tStart) / Math.max(1, tEnd - tStart)) * (barW - 1)));

  const groups = new Map<string, RequestRecord[]>();
  for (const r of requests) {
    const key = rows === 'client' ? `client ${r.clientPort ?? '?'}` : `${r.origin ?? 'origin'}#${r.originConn ?? '?'}`;
    const g = groups.get(key);
    if (g) g.push(r);
    else groups.set(key, [r]);
  }
  const ordered = [...groups].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]));
  const shown = ordered.slice(0, maxRows).sort((a, b) => firstStart(a[1]) - firstStart(b[1]));
  const lines: string[] = [];
  for (const [label, rs] of shown) {
    const cells = Array<string>(barW).fill(' ');
    for (const r of rs) {
      const a = scale(r.start);
      const b = r.end === null ? barW - 1 : scale(r.end);
      for (let i = a; i < b; i++) if (cells[i] === ' ') cells[i] = '░';
      cells[b] = r.end === null || (r.status ?? 500) >= 400 ? 'x' : '█';
    }
    const bar = cells.map((ch) => (ch === '█' ? p.c.green(ch) : ch === 'x' ? p.c.red(ch) : p.c.dim(ch))).join('');
    lines.push(`${label.padEnd(labelW)}│${bar}│`);
  }
  if (ordered.length > shown.length) lines.push(p.c.dim(`… ${ordered.length - shown.length} more connections not drawn`));
  const axis = `${' '.repeat(labelW)}0${' '.repeat(Math.max(1, barW - ms(tEnd - tStart).length))}${ms(tEnd - tStart)}`;
  lines.push(p.c.dim(axis));
  lines.push(p.c.dim(`${' '.repeat(labelW)}░ waiting  █ answered  x failed   (one row per ${rows === 'client' ? 'client' : 'origin'} connection)`));
  return lines.join('\n');
}

const firstStart = (rs: RequestRecord[]): number => Math.min(...rs.map((r) => r.start));
