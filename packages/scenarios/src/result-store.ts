import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { LabError, fail, ok, type Result } from '@keepalive-lab/core';
import { RESULT_SCHEMA, type ResultDocument } from './result-document.js';
import { MATRIX_SCHEMA, type MatrixDocument } from './matrix.js';

/** `2026-11-25T08-51-02-123Z`: sortable, and legal in every file system. */
const stamp = (iso: string): string => iso.replace(/:/g, '-').replace('.', '-');

/** Saves `results/<scenario>/<UTC timestamp>.json`; returns the path. */
export async function saveResult(doc: ResultDocument, dir: string): Promise<string> {
  const folder = join(dir, doc.scenario.name);
  await mkdir(folder, { recursive: true });
  const file = join(folder, `${stamp(doc.startedAt)}.json`);
  await writeFile(file, `${JSON.stringify(doc)}\n`);
  return file;
}

/**
 * A name → the latest result saved for it; a path → that file. Reads only:
 * show, compare and report never rerun anything.
 */
export async function loadResult(ref: string, dir: string): Promise<Result<{ file: string; doc: ResultDocument }, LabError>> {
  let file: string;
  if (ref.endsWith('.json') || ref.includes('/')) {
    file = isAbsolute(ref) ? ref : resolve(ref);
  } else {
    const folder = join(dir, ref);
    const names = await readdir(folder).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return [] as string[];
      throw err;
    });
    const latest = names
      .filter((n) => n.endsWith('.json'))
      .sort()
      .pop();
    if (!latest) {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []); // no results folder yet: nothing is known
      const known = entries.filter((e) => e.isDirectory()).map((e) => e.name);
      return fail(
        new LabError('LAB_ERR_RESULT_NOT_FOUND', `no saved result for "${ref}" in ${dir} (run \`lab run ${ref}\` first)`, {
          found: ref,
          known,
        }),
      );
    }
    file = join(folder, latest);
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    return fail(
      new LabError(
        'LAB_ERR_RESULT_NOT_FOUND',
        `${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
        { file },
        { cause: err },
      ),
    );
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return fail(
      new LabError(
        'LAB_ERR_RESULT_INVALID',
        `${file}: not JSON (${(err as Error).message})`,
        { file, expected: 'a JSON result file' },
        { cause: err },
      ),
    );
  }
  const problem = checkShape(doc);
  if (problem)
    return fail(
      new LabError('LAB_ERR_RESULT_INVALID', `${file}: not a keepalive-lab result: ${problem}`, { file, expected: RESULT_SCHEMA }),
    );
  return ok({ file, doc: doc as ResultDocument });
}

/** Enough of a check that renderers can trust the fields they read. */
function checkShape(doc: unknown): string | null {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return 'expected a JSON object';
  const d = doc as Record<string, unknown>;
  if (d.schema !== RESULT_SCHEMA) return `expected "schema": "${RESULT_SCHEMA}", found ${JSON.stringify(d.schema)}`;
  for (const k of ['requests', 'events', 'expectations'] as const) if (!Array.isArray(d[k])) return `expected "${k}" to be a list`;
  for (const k of ['scenario', 'metrics', 'env'] as const)
    if (d[k] === null || typeof d[k] !== 'object') return `expected "${k}" to be an object`;
  if (d.verdict !== 'reproduced' && d.verdict !== 'not-reproduced') return `expected "verdict" reproduced or not-reproduced`;
  return null;
}

/** Saves `results/matrix/<UTC timestamp>.json`; returns the path. */
export async function saveMatrix(doc: MatrixDocument, dir: string): Promise<string> {
  const folder = join(dir, 'matrix');
  await mkdir(folder, { recursive: true });
  const file = join(folder, `${stamp(doc.startedAt)}.json`);
  await writeFile(file, `${JSON.stringify(doc)}\n`);
  return file;
}

/** The latest saved matrix in `dir` (or the file named), read only. */
export async function loadMatrix(ref: string | null, dir: string): Promise<Result<{ file: string; doc: MatrixDocument }, LabError>> {
  let file: string;
  if (ref !== null) file = isAbsolute(ref) ? ref : resolve(ref);
  else {
    const names = await readdir(join(dir, 'matrix')).catch(() => [] as string[]); // no matrix saved yet
    const latest = names
      .filter((n) => n.endsWith('.json'))
      .sort()
      .pop();
    if (!latest)
      return fail(
        new LabError('LAB_ERR_RESULT_NOT_FOUND', `no saved matrix in ${join(dir, 'matrix')} (run \`lab matrix\` first)`, {
          found: 'matrix',
        }),
      );
    file = join(dir, 'matrix', latest);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    return fail(
      new LabError(
        'LAB_ERR_RESULT_INVALID',
        `${file}: not a readable JSON matrix (${(err as Error).message})`,
        { file, expected: MATRIX_SCHEMA },
        { cause: err },
      ),
    );
  }
  const d = doc as Partial<MatrixDocument> | null;
  if (
    d === null ||
    typeof d !== 'object' ||
    d.schema !== MATRIX_SCHEMA ||
    !Array.isArray(d.rows) ||
    !Array.isArray(d.kinds) ||
    !Array.isArray(d.runs)
  ) {
    return fail(
      new LabError(
        'LAB_ERR_RESULT_INVALID',
        `${file}: not a keepalive-lab matrix: expected "schema": "${MATRIX_SCHEMA}" with kinds, rows and runs`,
        { file, expected: MATRIX_SCHEMA },
      ),
    );
  }
  return ok({ file, doc: d as MatrixDocument });
}
