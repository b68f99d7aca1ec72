import type { MatrixDocument, MatrixKind } from '@keepalive-lab/scenarios';
import { fitTable, type Column } from '../terminal/fit-table.js';
import { painter, type RenderOptions } from '../terminal/style.js';
import { wrapText } from '../terminal/wrap.js';
import { cellText, footnotes, kindHeading, mark, rowSource } from './cell-text.js';

/** What a table needs for its behaviour column and for each kind's, borders included: how many kinds share a table. */
const LABEL_WIDTH = 40;
const CELL_WIDTH = 15;

/**
 * The matrix in the terminal: a row per behaviour, a column per proxy kind.
 * Twelve kinds do not fit one screen, so the kinds are split into as many
 * tables as the width needs, each repeating the behaviour column; `--wide`
 * (an unlimited width) draws one table.
 */
export function renderMatrix(doc: MatrixDocument, o: RenderOptions): string {
  const p = painter(o);
  const perTable = Number.isFinite(p.width) ? Math.max(1, Math.floor((p.width - LABEL_WIDTH - 1) / (CELL_WIDTH + 1))) : doc.kinds.length;
  const groups: MatrixKind[][] = [];
  for (let i = 0; i < doc.kinds.length; i += perTable) groups.push(doc.kinds.slice(i, i + perTable));
  const prose = (s: string) => wrapText(s, p.width, '    ').join('\n'); // the tables fit themselves
  const out: string[] = [
    prose(p.c.bold(`Behaviours × proxies (${doc.rows.length} × ${doc.kinds.length}), ${doc.startedAt.slice(0, 10)}, node ${doc.env.node}`)),
  ];
  for (const kinds of groups) {
    const columns: Column[] = [{ head: 'behaviour', min: 20 }, ...kinds.map((k) => ({ head: kindHeading(k) }))];
    const rows = doc.rows.map((r) => {
      const cells = kinds.map((k) => r.cells.find((c) => c.kind === k.kind));
      return [
        `${r.label}\n${p.c.dim(`${rowSource(r)}${r.bound ? ` ${r.bound}` : ''}`)}`,
        ...cells.map((c) => {
          if (c === undefined) return '';
          const text = cellText(c);
          const m = mark(c);
          return m === '✓' ? p.c.green(text) : m === '✗' ? p.c.red(text) : p.c.dim(text);
        }),
      ];
    });
    out.push(fitTable(columns, rows, p));
  }
  const notes = footnotes(doc);
  if (notes.length > 0) out.push(prose(p.c.dim(notes.map((n) => `  ${n}`).join('\n'))));
  out.push(
    prose(
      p.c.dim(
        `✓ the behaviour holds · ✗ it does not (value, then what the client got instead) · every cell is read off that run's records (lab matrix --json)`,
      ),
    ),
  );
  return `${out.join('\n')}\n`;
}
