import { Chalk, type ChalkInstance } from 'chalk';
import Table from 'cli-table3';

/** How terminal output is drawn: colour or not, and how wide. */
export interface RenderOptions {
  color: boolean;
  /** Columns available; timelines scale to it. */
  width: number;
  /** Timeline rows: one per client connection (default) or per origin connection. */
  timeline?: 'client' | 'origin';
}

export interface Painter {
  c: ChalkInstance;
  width: number;
}

export function painter(o: RenderOptions): Painter {
  return { c: new Chalk({ level: o.color ? 1 : 0 }), width: Math.max(60, o.width) };
}

/** A cli-table3 table without its own colouring: chalk does all of it, so NO_COLOR holds. */
export function table(head: string[], colAligns?: ('left' | 'right' | 'center')[]): Table.Table {
  return new Table({ head, style: { head: [], border: [], compact: true }, ...(colAligns ? { colAligns } : {}) });
}

/** `null` shows as a dash: unknown, not zero. */
export const cell = (v: number | string | boolean | null | undefined): string => (v === null || v === undefined ? '–' : String(v));

export function ms(v: number | null | undefined): string {
  if (v === null || v === undefined) return '–';
  if (v >= 1000) return `${(v / 1000).toFixed(2)}s`;
  return `${v.toFixed(v < 10 ? 1 : 0)}ms`;
}
