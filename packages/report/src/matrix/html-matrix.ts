import type { MatrixDocument } from '@keepalive-lab/scenarios';
import { escapeHtml } from '../html/markdown.js';
import { cellText, footnotes, kindHeading, mark, rowSource } from './cell-text.js';

const CLASS: Record<string, string> = { '✓': 'pass', '✗': 'fail', '·': 'value', '–': 'none' };

/** The matrix as a section of the HTML report: the same cells as the terminal, coloured, with the run each came from. */
export function matrixSection(doc: MatrixDocument): string {
  const head = doc.kinds
    .map((k) => `<th>${escapeHtml(kindHeading(k))}<br><span class="dim small">${escapeHtml(k.layer)} · ${escapeHtml(k.source)}</span></th>`)
    .join('');
  const rows = doc.rows
    .map((r) => {
      const cells = r.cells
        .map((c) => {
          const run = c.run === null ? null : doc.runs[c.run];
          const title = run
            ? `${run.scenario}${run.variant ? `:${run.variant}` : ''} × ${run.kind}: ${run.requests.length} requests, ${Math.round(run.durationMs)} ms`
            : c.note;
          return `<td class="cell ${CLASS[mark(c)] ?? 'none'}" title="${escapeHtml(title)}">${escapeHtml(cellText(c))}</td>`;
        })
        .join('');
      return `<tr><td>${escapeHtml(r.label)}<br><span class="dim small">${escapeHtml(rowSource(r))}${r.bound ? ` ${escapeHtml(r.bound)}` : ''}</span></td>${cells}</tr>`;
    })
    .join('\n');
  const notes = footnotes(doc);
  return `<section id="matrix"><h2>Behaviours × proxies <span class="dim">(${escapeHtml(doc.startedAt.slice(0, 10))}, node ${escapeHtml(doc.env.node)})</span></h2>
<div class="panel wide"><table class="matrix"><thead><tr><th>behaviour</th>${head}</tr></thead><tbody>
${rows}
</tbody></table>
<p class="note">✓ the behaviour holds · ✗ it does not · · a value without a bound; after the value, what the client got instead of an answer. Every cell is read off the records of its run (in the matrix file).</p>
${notes.length > 0 ? `<ul class="note">${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>` : ''}</div></section>`;
}
