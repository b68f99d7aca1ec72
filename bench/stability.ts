/**
 * Runs scenarios again and again, optionally with a CPU hog on the other
 * core, and counts verdicts: the lab's teaching must not depend on luck.
 *
 *   pnpm stability [--runs 50] [--hog] [--set path=value]... [scenario...]
 *
 * Prints one line per scenario: reproduced N/N, and for each failed run which
 * checks failed with their values. Exit 1 if any run did not reproduce.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { BUILTIN_SCENARIO_DIR, listScenarioFiles, loadScenario, runToDocument } from '@keepalive-lab/scenarios';

const args = process.argv.slice(2);
let runs = 50;
let hog = false;
const sets: string[] = [];
const names: string[] = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i] ?? '';
  if (a === '--runs') runs = Number(args[++i]);
  else if (a === '--hog') hog = true;
  else if (a === '--set') sets.push(args[++i] ?? '');
  else names.push(a);
}

/** A busy loop in its own process: keeps one core at 100 % while the runs go on. */
function startHog(): ChildProcess {
  return spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' });
}

const files = names.length > 0 ? names.map((n) => `${BUILTIN_SCENARIO_DIR}${n}.yaml`) : await listScenarioFiles();
const hogProc = hog ? startHog() : null;
let failed = 0;
try {
  for (const file of files) {
    const loaded = await loadScenario(file, sets);
    if (!loaded.ok) throw loaded.error;
    let ok = 0;
    const misses: string[] = [];
    const t0 = performance.now();
    for (let i = 0; i < runs; i++) {
      const doc = await runToDocument(loaded.value);
      if (doc.verdict === 'reproduced') ok++;
      else
        misses.push(
          doc.expectations
            .filter((e) => !e.pass)
            .map((e) => `${e.variant ? `${e.variant}:` : ''}${e.metric}=${e.actual} (${e.op} ${e.expected})`)
            .join(', '),
        );
    }
    failed += runs - ok;
    const secs = ((performance.now() - t0) / 1000).toFixed(1);
    console.log(`${loaded.value.scenario.name.padEnd(24)} reproduced ${ok}/${runs}  (${secs}s${hog ? ', CPU hog on' : ''})`);
    for (const m of misses) console.log(`    miss: ${m}`);
  }
} finally {
  hogProc?.kill('SIGKILL');
}
process.exitCode = failed > 0 ? 1 : 0;
