import { resolve } from 'node:path';
import { BUILTIN_SCENARIO_DIR, findScenario, listScenarioFiles, loadScenario, type LoadedScenario } from '@keepalive-lab/scenarios';
import type { CommandContext } from '../context.js';

/** Scenario folders: ./scenarios of the working directory first, then the lab's own. */
export const scenarioDirs = (ctx: CommandContext): string[] => [...new Set([resolve(ctx.cwd, 'scenarios'), BUILTIN_SCENARIO_DIR])];

/** Loads every named scenario (or all) before anything runs: one bad file runs nothing. */
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
  for (const file of files) {
    const r = await loadScenario(file, sets);
    if (!r.ok) throw r.error;
    loaded.push(r.value);
  }
  return loaded;
}
