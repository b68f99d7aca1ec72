import type { MatrixDocument, MatrixKind } from '@keepalive-lab/scenarios';
import Table from 'cli-table3';
import { painter, type RenderOptions } from '../terminal/style.js';
import { cellText, footnotes, kindHeading, mark, rowSource } from './cell-text.js';

const LABEL_WIDTH = 40;
const CELL_WIDTH = 15;

/**
 * The matrix in the terminal: a row per behaviour, a column per proxy kind.
 * Twelve kinds do not fit one screen, so the kinds are split into as many
 * tables as the width needs, each repeating the behaviour column.
 */
export function renderMatrix(doc: MatrixDocument, o: RenderOptions): string {
  const p = painter(o);
  const perTable = Math.max(1, Math.floor((p.width - LABEL_WIDTH - 4) / (CELL_WIDTH + 3)));
  const groups: MatrixKind[][] = [];
  for (let i = 0; i < doc.kinds.length; i += perTable) groups.push(doc.kinds.slice(i, i + perTable));
  const out: string[] = [
    p.c.bold(`Behaviours × proxies (${doc.rows.length} × ${doc.kinds.length}), ${doc.startedAt.slice(0, 10)}, node ${doc.env.node}`),
  ];
  for (const kinds of groups) {
    const t = new Table({
      head: [p.c.bold('behaviour'), ...kinds.map((k) => p.c.bold(kindHeading(k)))],
      colWidths: [LABEL_WIDTH, ...kinds.map(() => CELL_WIDTH)],
      wordWrap: true,
      style: { head: [], border: [], compact: true },
    });
    for (const r of doc.rows) {
      const cells = kinds.map((k) => r.cells.find((c) => c.kind === k.kind));
      t.push([
        `${r.label}\n${p.c.dim(`${rowSource(r)}${r.bound ? ` ${r.bound}` : ''}`)}`,
        ...cells.map((c) => {
          if (c === undefined) return '';
          const text = cellText(c);
          const m = mark(c);
          return m === '✓' ? p.c.green(text) : m === '✗' ? p.c.red(text) : p.c.dim(text);
        }),
      ]);
    }
    out.push(t.toString());
  }
  const notes = footnotes(doc);
  if (notes.length > 0) out.push(p.c.dim(notes.map((n) => `  ${n}`).join('\n')));
  out.push(
    p.c.dim(
      `✓ the behaviour holds · ✗ it does not (value, then what the client got instead) · every cell is read off that run's records (lab matrix --json)`,
    ),
  );
  return `${out.join('\n')}\n`;
}
