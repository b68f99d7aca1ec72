import type { LabEvent, RequestRecord } from '@keepalive-lab/core';
import { ms, type Painter } from './style.js';
import { DEFAULT_WIDTH } from './width.js';
import { wrapText } from './wrap.js';

export type TimelineRows = 'client' | 'origin';

export interface TimelineOptions {
  /** One row per client connection (default) or per origin connection. */
  rows?: TimelineRows;
  /** Past this many connections, neighbouring ones share a row (and the legend says so). */
  maxRows?: number;
}

/** An origin connection closed for being idle: what releases the blog forwarder's replies. */
interface IdleClose {
  t: number;
  key: string;
}

const LABEL_W = 16;

/**
 * One row per connection, each request a bar from start to end over the
 * run's time axis, scaled to the width (`terminalWidth()`). Waiting shows as `░`, the
 * instant of completion as `█`, a failure as `x`, an origin idle close as `¦`
 * in its row and `▼` on the bottom line: keepalive-l4's waves read as
 * columns of █ standing on ▼. Many connections are merged into rows of
 * neighbours (in order of first use), never dropped.
 */
export function renderTimeline(requests: RequestRecord[], events: LabEvent[], p: Painter, o: TimelineOptions = {}): string {
  const rowsBy = o.rows ?? 'client';
  const maxRows = o.maxRows ?? 24;
  if (!requests.some((r) => r.end !== null)) return p.c.dim('(no request completed: no timeline)');
  let tStart = Infinity;
  let tEnd = -Infinity;
  for (const r of requests) {
    tStart = Math.min(tStart, r.start);
    tEnd = Math.max(tEnd, r.end ?? r.start);
  }
  const idle = idleCloses(requests, events, rowsBy);
  const startOf = barStart(events, rowsBy);
  // --wide (an unlimited width) is about table columns: the time axis keeps the default scale.
  const width = Number.isFinite(p.width) ? p.width : DEFAULT_WIDTH;
  const barW = Math.max(20, width - LABEL_W - 2);
  const span = Math.max(1, tEnd - tStart);
  const col = (t: number) => Math.max(0, Math.min(barW - 1, Math.floor(((t - tStart) / span) * (barW - 1))));

  const groups = new Map<string, RequestRecord[]>();
  for (const r of requests) {
    const key = keyOf(r, rowsBy);
    const g = groups.get(key);
    if (g) g.push(r);
    else groups.set(key, [r]);
  }
  // Rows in order of first use, so waves of new connections read top to bottom.
  const ordered = [...groups].map(([key, rs]) => ({ key, rs, first: rs.reduce((m, r) => Math.min(m, r.start), Infinity) }));
  ordered.sort((a, b) => a.first - b.first || a.key.localeCompare(b.key, 'en', { numeric: true }));
  const perRow = Math.ceil(ordered.length / maxRows);
  const idleByKey = new Map<string, number[]>();
  for (const i of idle) idleByKey.set(i.key, [...(idleByKey.get(i.key) ?? []), i.t]);

  const lines: string[] = [];
  for (let i = 0; i < ordered.length; i += perRow) {
    const members = ordered.slice(i, i + perRow);
    const cells = Array<string>(barW).fill(' ');
    for (const m of members) {
      for (const t of idleByKey.get(m.key) ?? []) cells[col(t)] = '¦';
      for (const r of m.rs) {
        const a = col(startOf(r));
        const b = r.end === null ? barW - 1 : col(r.end);
        for (let c = a; c < b; c++) if (cells[c] === ' ') cells[c] = '░';
        const failed = r.end === null || r.status === null || r.status >= 400;
        if (failed) cells[b] = 'x';
        else if (cells[b] !== 'x') cells[b] = '█';
      }
    }
    const label = members.length === 1 ? (members[0]?.key ?? '') : `#${i + 1}–${i + members.length}`;
    lines.push(`${label.slice(0, LABEL_W - 1).padEnd(LABEL_W)}│${paint(cells, p)}│`);
  }
  if (idle.length > 0) {
    const cells = Array<string>(barW).fill(' ');
    for (const i of idle) cells[col(i.t)] = '▼';
    lines.push(`${`idle closes ${idle.length}`.padEnd(LABEL_W)}│${paint(cells, p)}│`);
  }
  const total = ms(span);
  const under = ' '.repeat(LABEL_W);
  lines.push(p.c.dim(`${under}0${' '.repeat(Math.max(1, barW + 1 - total.length))}${total}`));
  const unit = `1 column ≈ ${ms(span / (barW - 1))}`;
  const marks = '░ waiting  █ answered  x failed';
  const idleMark = '¦▼ origin closed an idle connection';
  // The legend's items stay whole: the idle mark goes to a line of its own when both do not fit.
  const legend =
    idle.length === 0 ? [marks] : LABEL_W + marks.length + 2 + idleMark.length <= width ? [`${marks}  ${idleMark}`] : [marks, idleMark];
  const what = rowsBy === 'client' ? 'client' : 'origin';
  const merged =
    perRow > 1
      ? `; ${ordered.length} ${what} connections merged ${perRow} to a row (#first–last, in order of first use)`
      : ` (one row per ${what} connection)`;
  for (const text of [...legend, `${requests.length} requests, ${unit}${merged}`]) {
    lines.push(...wrapText(`${under}${text}`, width, under).map((l) => p.c.dim(l)));
  }
  return lines.join('\n');
}

/**
 * Where a bar starts: when the client sent the request, or on an origin row
 * when the origin received it (a request queued in the client's pool or
 * held by a proxy was not yet on that connection).
 */
function barStart(events: LabEvent[], rows: TimelineRows): (r: RequestRecord) => number {
  if (rows === 'client') return (r) => r.start;
  const seen = new Map<string, number>();
  for (const e of events) if (e.event === 'request' && e.id !== null) seen.set(e.id, e.t);
  return (r) => seen.get(r.id) ?? r.start;
}

function keyOf(r: RequestRecord, rows: TimelineRows): string {
  return rows === 'client' ? `client ${r.clientPort ?? '?'}` : `${r.origin ?? 'origin'}#${r.originConn ?? '?'}`;
}

/** Idle closes placed on the row that carried that origin connection's requests. */
function idleCloses(requests: RequestRecord[], events: LabEvent[], rows: TimelineRows): IdleClose[] {
  const rowOfConn = new Map<string, string>();
  for (const r of requests) if (r.originConn !== null) rowOfConn.set(`${r.origin ?? 'origin'}#${r.originConn}`, keyOf(r, rows));
  const out: IdleClose[] = [];
  for (const e of events) {
    if (e.event !== 'conn-close' || e.reason !== 'idle-timeout') continue;
    const conn = `${e.origin}#${e.conn}`;
    out.push({ t: e.t, key: rowOfConn.get(conn) ?? conn });
  }
  return out;
}

function paint(cells: string[], p: Painter): string {
  if (p.c.level === 0) return cells.join('');
  return cells
    .map((ch) => (ch === '█' ? p.c.green(ch) : ch === 'x' ? p.c.red(ch) : ch === '¦' || ch === '▼' ? p.c.yellow(ch) : p.c.dim(ch)))
    .join('');
}
