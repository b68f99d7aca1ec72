import type { MatrixDocument } from '@keepalive-lab/scenarios';
import { columnGroups, groupCaption } from '../html/column-groups.js';
import { escapeHtml } from '../html/markdown.js';
import { cellText, footnotes, kindHeading, mark, rowSource } from './cell-text.js';

const CLASS: Record<string, string> = { '✓': 'pass', '✗': 'fail', '·': 'value', '–': 'none' };
/** Kinds per table on a narrow screen: the whole matrix (12 kinds) does not fit 800 px. */
const KINDS_WHEN_NARROW = 6;

const LEGEND =
  '✓ the behaviour holds · ✗ it does not · · a value without a bound; after the value, what the client got instead of an answer. ' +
  'Every cell is read off the records of its run (in the matrix file).';

/** The kinds at `cols` (indexes into doc.kinds) as one table: a row per behaviour. */
function matrixTable(doc: MatrixDocument, cols: number[]): string {
  const head = cols
    .map((i) => doc.kinds[i])
    .map((k) =>
      k ? `<th>${escapeHtml(kindHeading(k))}<br><span class="dim small">${escapeHtml(k.layer)} · ${escapeHtml(k.source)}</span></th>` : '',
    )
    .join('');
  const rows = doc.rows
    .map((r) => {
      const cells = cols
        .map((i) => r.cells[i])
        .map((c) => {
          if (!c) return '<td></td>';
          const run = c.run === null ? null : doc.runs[c.run];
          const title = run
            ? `${run.scenario}${run.variant ? `:${run.variant}` : ''} × ${run.kind}: ${run.requests.length} requests, ${Math.round(run.durationMs)} ms`
            : c.note;
          return `<td class="cell ${CLASS[mark(c)] ?? 'none'}" title="${escapeHtml(title)}">${escapeHtml(cellText(c))}</td>`;
        })
        .join('');
      const source = `${escapeHtml(rowSource(r))}${r.bound ? ` ${escapeHtml(r.bound)}` : ''}`;
      return `<tr><td>${escapeHtml(r.label)}<br><span class="dim small">${source}</span></td>${cells}</tr>`;
    })
    .join('\n');
  return `<table class="matrix">${groupCaption(cols, doc.kinds.length, 'proxy kinds')}<thead><tr><th>behaviour</th>${head}</tr></thead><tbody>
${rows}
</tbody></table>`;
}

/**
 * The matrix as a section of the HTML report: the same cells as the terminal,
 * coloured, with the run each came from. Whole on a wide screen; on a narrow
 * one (CSS picks) split into tables of a few kinds each, never scrolled sideways.
 */
export function matrixSection(doc: MatrixDocument): string {
  const all = doc.kinds.map((_, i) => i);
  const split = columnGroups(doc.kinds.length, KINDS_WHEN_NARROW);
  const notes = footnotes(doc);
  const when = `${escapeHtml(doc.startedAt.slice(0, 10))}, node ${escapeHtml(doc.env.node)}`;
  return `<section id="matrix"><h2>Behaviours × proxies <span class="dim">(${when})</span></h2>
<div class="panel wide"><div class="when-wide">${matrixTable(doc, all)}</div>
${split.length > 1 ? `<div class="when-narrow">${split.map((g) => matrixTable(doc, g)).join('\n')}</div>` : ''}
<p class="note">${LEGEND}</p>
${notes.length > 0 ? `<ul class="note">${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>` : ''}</div></section>`;
}
