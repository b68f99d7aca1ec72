import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { LabError } from '@keepalive-lab/core';
import { inStoryOrder, loadResult, type ResultDocument } from '@keepalive-lab/scenarios';
import { pickVariant, splitVariantRef, viewsOf, type ResultView } from './views.js';

export interface LoadedResult {
  file: string;
  doc: ResultDocument;
}

/** A name (latest result) or a file, read and checked; a LabError naming the file otherwise. Reads only. */
export async function readResult(ref: string, dir: string): Promise<LoadedResult> {
  const r = await loadResult(ref, dir);
  if (!r.ok) throw r.error;
  return r.value;
}

/**
 * References → views: `name` or `file.json` gives every view of that result
 * (one per variant), `name:variant` just that variant.
 */
export async function loadViews(refs: string[], dir: string): Promise<ResultView[]> {
  const out: ResultView[] = [];
  for (const raw of refs) {
    const { ref, variant } = splitVariantRef(raw);
    const { file, doc } = await readResult(ref, dir);
    const views = viewsOf(doc, file);
    out.push(...(variant === null ? views : [pickVariant(views, variant, file)]));
  }
  return out;
}

/** The folder `lab matrix` saves into, beside the scenarios' own. */
export const MATRIX_FOLDER = 'matrix';

/** Every scenario folder under the results directory that holds a result, in the story's order (as `lab list`). */
export async function savedScenarioNames(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT')
      throw new LabError('LAB_ERR_RESULT_NOT_FOUND', `no results folder at ${dir} (run \`lab run <name>\` first)`, { file: dir });
    throw err;
  });
  const names: string[] = [];
  for (const e of entries) {
    // results/matrix holds `lab matrix` documents, not scenario results.
    if (!e.isDirectory() || e.name === MATRIX_FOLDER) continue;
    const files = await readdir(join(dir, e.name));
    if (files.some((f) => f.endsWith('.json'))) names.push(e.name);
  }
  return inStoryOrder(names, (n) => n);
}
