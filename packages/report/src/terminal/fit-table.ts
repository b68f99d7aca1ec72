import Table from 'cli-table3';
import { stripVTControlCharacters } from 'node:util';
import type { Painter } from './style.js';
import { visibleWidth, widestLine, wrapText } from './wrap.js';

export interface Column {
  head: string;
  /** The narrowest its text may wrap to; default its longest word, at most 12 (a longer word breaks at a `.`). */
  min?: number;
  /** When even wrapped the table is too wide, columns go in this order, 1 first; unset: never. */
  drop?: number;
}

/**
 * Two columns that show as one when every row reads the same in both: the
 * proxy's upstream port and the origin's are one socket seen from both ends.
 */
export interface Merge {
  /** The two heads; the merged column takes the place of `a`. */
  a: string;
  b: string;
  head: string;
  /** Said once, under the table. */
  note: string;
}

/** A row of cells, one per column, or a line across the whole table (`… 15 more`). */
export type Row = string[] | { across: string };

export interface FitOptions {
  merges?: Merge[];
  /** Draw the head row (default true). */
  head?: boolean;
}

/** cli-table3's padding: a space each side of a cell. */
const PAD = 2;
const MIN_WORD = 12;

const plain = (s: string | undefined): string => stripVTControlCharacters(s ?? '');
const longestWord = (s: string): number => Math.max(0, ...s.split(/\s+/).map(visibleWidth));

/**
 * A cli-table3 table that fits `p.width` columns: columns equal in every row
 * merge (said once under the table), heads and then long cells wrap inside
 * their column, and only when wrapping cannot fit do columns go, lowest
 * priority first (also said). No line is ever wider than `p.width`; an
 * infinite width (`--wide`) keeps every column as it is.
 */
export function fitTable(columns: Column[], rows: Row[], p: Painter, o: FitOptions = {}): string {
  const fit = Number.isFinite(p.width);
  const cells = rows.filter((r): r is string[] => Array.isArray(r));
  let cols = columns.map((c, at) => ({ ...c, at }));
  const notes: string[] = [];
  for (const m of fit ? (o.merges ?? []) : []) {
    const a = cols.find((c) => c.head === m.a);
    const b = cols.find((c) => c.head === m.b);
    if (a === undefined || b === undefined) continue;
    const same = cells.every((r) => plain(r[a.at]) === plain(r[b.at])) && cells.some((r) => plain(r[a.at]) !== '–');
    if (!same) continue;
    cols = cols.filter((c) => c !== b).map((c) => (c === a ? { ...c, head: m.head } : c));
    notes.push(`${m.head}: ${m.note}`);
  }
  const texts = (c: (typeof cols)[number]) => [c.head, ...cells.map((r) => r[c.at] ?? '')];
  const natural = (c: (typeof cols)[number]) => Math.max(...texts(c).map(widestLine)) + PAD;
  const narrowest = (c: (typeof cols)[number]) =>
    Math.min(natural(c), (c.min ?? Math.min(MIN_WORD, Math.max(...texts(c).map(longestWord)))) + PAD);
  const room = () => p.width - (cols.length + 1); // what the borders leave

  const dropped: string[] = [];
  while (fit && cols.reduce((n, c) => n + narrowest(c), 0) > room()) {
    const victim = cols.filter((c) => c.drop !== undefined).sort((x, y) => (x.drop ?? 0) - (y.drop ?? 0))[0];
    if (victim === undefined) break;
    cols = cols.filter((c) => c !== victim);
    dropped.push(victim.head);
  }
  const widths = cols.map(natural);
  // Heads wrap first (one taller head row), then cells (taller rows), then words break.
  const body = (c: (typeof cols)[number]) => Math.max(0, ...cells.map((r) => widestLine(r[c.at] ?? ''))) + PAD;
  const floors = [cols.map((c) => Math.max(body(c), narrowest(c))), cols.map(narrowest), cols.map(() => PAD + 1)];
  if (fit) shrink(widths, floors, room());

  const wrap = (s: string, w: number) => (fit ? balanced(s, w - PAD).join('\n') : s);
  const t = new Table({
    head: o.head === false ? [] : cols.map((c, k) => p.c.bold(wrap(c.head, widths[k] ?? 0))),
    ...(fit ? { colWidths: widths } : {}),
    style: { head: [], border: [], compact: true },
  });
  const across = widths.reduce((n, w) => n + w, cols.length - 1);
  for (const r of rows) {
    if (Array.isArray(r)) t.push(cols.map((c, k) => wrap(r[c.at] ?? '', widths[k] ?? 0)));
    else t.push([{ colSpan: cols.length, content: wrap(r.across, across) }]);
  }
  if (dropped.length > 0) notes.push(`not shown at ${p.width} columns: ${dropped.join(', ')} (--wide shows every column)`);
  return [t.toString(), ...notes.flatMap((n) => wrapText(n, p.width, '  ')).map((l) => p.c.dim(l))].join('\n');
}

/**
 * `s` wrapped to `width`, in as few lines but as even as they go: `39500 53604`
 * / `53658 53708`, not three and one. Narrower only while every break stays at a space.
 */
function balanced(s: string, width: number): string[] {
  let lines = wrapText(s, width);
  const words = (ls: string[]) => plain(ls.join(' ')).replace(/ +/g, ' ').trim();
  const whole = plain(s).replace(/\s+/g, ' ').trim();
  if (lines.length < 2 || words(lines) !== whole) return lines;
  for (let w = width - 1; w > 0; w--) {
    const narrower = wrapText(s, w);
    if (narrower.length > lines.length || words(narrower) !== whole) break;
    lines = narrower;
  }
  return lines;
}

/** How wide rows of cells draw unwrapped, borders included. */
export function naturalWidth(rows: string[][]): number {
  const n = Math.max(0, ...rows.map((r) => r.length));
  const widths = Array.from({ length: n }, (_, k) => Math.max(...rows.map((r) => widestLine(r[k] ?? ''))) + PAD);
  return widths.reduce((a, w) => a + w, n + 1);
}

/**
 * Narrows, one column at a time, the one with the most to give (fewest
 * heads and cells wrap), until the widths fit `room`: each column down to
 * its floor of the first stage, then of the next; the last stage goes below
 * a column's narrowest, since a cut word beats a line past the edge.
 */
function shrink(widths: number[], stages: number[][], room: number): void {
  let total = widths.reduce((n, w) => n + w, 0);
  for (const floor of stages) {
    while (total > room) {
      const slack = widths.map((w, i) => w - (floor[i] ?? 0));
      const k = slack.indexOf(Math.max(...slack));
      if ((slack[k] ?? 0) <= 0) break;
      widths[k] = (widths[k] ?? 0) - 1;
      total--;
    }
  }
}
