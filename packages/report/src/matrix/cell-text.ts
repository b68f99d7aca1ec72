import type { MatrixCell, MatrixDocument, MatrixKind } from '@keepalive-lab/scenarios';

/** The mark a cell leads with: ✓ the row's bound held, ✗ it did not, · no bound, – nothing measured. */
export function mark(c: MatrixCell): '✓' | '✗' | '·' | '–' {
  if (c.value === null) return '–';
  return c.pass === null ? '·' : c.pass ? '✓' : '✗';
}

/** A cell's state; a matrix saved before cells carried one is read off its value. */
const stateOf = (c: MatrixCell): MatrixCell['state'] =>
  (c.state as MatrixCell['state'] | undefined) ?? (c.value === null ? 'did not run' : 'measured');

/** `✓ 9`, `✗ 0 5×502`, `– n/a`, `– not installed`: the same words in the terminal, markdown and HTML. */
export function cellText(c: MatrixCell): string {
  if (stateOf(c) !== 'measured') return `– ${stateOf(c)}`;
  return `${mark(c)} ${c.value}${c.note === '' ? '' : ` ${c.note}`}`;
}

/** `nginx 1.22.1`, or the kind alone when its version is unknown. */
export const kindHeading = (k: MatrixKind): string => (k.version === null ? k.kind : `${k.kind} ${k.version}`);

/** Behaviour label with where it was measured: `retries a GET on a stale pooled socket (stale-socket-retry:get)`. */
export const rowSource = (r: { scenario: string; variant: string | null }): string =>
  r.variant === null ? r.scenario : `${r.scenario}:${r.variant}`;

/** The notes under a table: why cells read n/a or did not run, and how to install what is missing, once each. */
export function footnotes(doc: MatrixDocument): string[] {
  const out = new Set<string>();
  for (const k of doc.kinds) if (k.missing !== null) out.add(`${k.kind}: ${k.missing}`);
  for (const r of doc.rows) {
    for (const c of r.cells) {
      if (stateOf(c) === 'n/a' || stateOf(c) === 'did not run') out.add(`${c.kind} on ${rowSource(r)}: ${c.note}`);
    }
  }
  return [...out];
}
