import { runAgentEngine } from './agent-engine.js';
import { runFastEngine } from './fast-engine.js';
import { resolveLoadOptions, type LoadOptions, type LoadResult } from './load-options.js';
import { LoadRun } from './load-run.js';

/**
 * Sends `requests` requests to `url`, `concurrency` at a time, and records
 * what each saw. Resolves when every request has ended (answered or failed)
 * and no socket of the run is left open; it never rejects for a failed
 * request, only for invalid options (a LabError naming the option).
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const run = new LoadRun(resolveLoadOptions(options));
  if (run.o.engine === 'fast') await runFastEngine(run);
  else await runAgentEngine(run);
  return run.result();
}
