import { Chalk, type ChalkInstance } from 'chalk';

/** How terminal output is drawn: colour or not, and how wide. */
export interface RenderOptions {
  color: boolean;
  /** Columns available (`terminalWidth()`): tables fit it, timelines scale to it; Infinity (`--wide`) keeps every table column. */
  width: number;
  /** Timeline rows: one per client connection (default) or per origin connection. */
  timeline?: 'client' | 'origin';
}

export interface Painter {
  c: ChalkInstance;
  width: number;
}

/** Narrower than this, a table of five columns cannot show a port; output is drawn this wide and wraps. */
const MIN_WIDTH = 40;

export function painter(o: RenderOptions): Painter {
  return { c: new Chalk({ level: o.color ? 1 : 0 }), width: Math.max(MIN_WIDTH, o.width) };
}

/** `null` shows as a dash: unknown, not zero. */
export const cell = (v: number | string | boolean | null | undefined): string => (v === null || v === undefined ? '–' : String(v));

export function ms(v: number | null | undefined): string {
  if (v === null || v === undefined) return '–';
  if (v >= 1000) return `${(v / 1000).toFixed(2)}s`;
  return `${v.toFixed(v < 10 ? 1 : 0)}ms`;
}
