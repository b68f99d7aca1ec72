import { resolve } from 'node:path';
import { LabError } from '@keepalive-lab/core';
import { BUILTIN_SCENARIO_DIR, findScenario, listScenarioFiles, loadScenario, type LoadedScenario } from '@keepalive-lab/scenarios';
import type { CommandContext } from '../context.js';

/** Scenario folders: ./scenarios of the working directory first, then the lab's own. */
export const scenarioDirs = (ctx: CommandContext): string[] => [...new Set([resolve(ctx.cwd, 'scenarios'), BUILTIN_SCENARIO_DIR])];

/**
 * Loads every named scenario (or all) before anything runs: one bad file
 * runs nothing, and every bad file is reported at once, not the first only.
 */
export async function loadAll(ctx: CommandContext, refs: string[], all: boolean, sets: string[]): Promise<LoadedScenario[]> {
  const dirs = scenarioDirs(ctx);
  const files: string[] = [];
  if (all) files.push(...(await listScenarioFiles(dirs)));
  for (const ref of refs) {
    const f = await findScenario(ref, dirs);
    if (!f.ok) throw f.error;
    files.push(f.value);
  }
  const loaded: LoadedScenario[] = [];
  const bad: LabError[] = [];
  for (const file of files) {
    const r = await loadScenario(file, sets);
    if (r.ok) loaded.push(r.value);
    else bad.push(r.error);
  }
  const [first, ...more] = bad;
  if (first === undefined) return loaded;
  if (more.length === 0) throw first;
  // Each message names its file; the code is the first file's (every one of them exits 2).
  throw new LabError(first.code, bad.map((e) => e.message).join('\nlab: '), { file: bad.map((e) => e.details.file ?? '?').join(', ') });
}
