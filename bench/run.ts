import { cpus, loadavg } from 'node:os';
import { renderSection, renderSummary } from './lib/print.js';
import type { SectionResult } from './lib/measurement.js';
import { clientSection } from './sections/client.js';
import { originSection } from './sections/origin.js';
import { recorderSection } from './sections/recorder.js';

/**
 * `pnpm bench`: every section in one run, printed as it finishes. A section
 * is a function returning rows and goals; add one as a file in sections/
 * and a line here.
 */
const SECTIONS: (() => Promise<SectionResult>)[] = [clientSection, originSection, recorderSection];

const results: SectionResult[] = [];
// The load average says how much else was running: figures from a busy machine are noisier.
const load = loadavg()[0]?.toFixed(2) ?? '?';
process.stdout.write(`keepalive-lab bench — node ${process.version}, ${cpus().length} cpus, load average ${load} at start\n\n`);
for (const section of SECTIONS) {
  const r = await section();
  results.push(r);
  process.stdout.write(`${renderSection(r)}\n`);
}
process.stdout.write(renderSummary(results));
// The report's figures (write time, render time) are not req/s rows: it prints its own lines.
const { reportBench } = await import('./report.js');
process.stdout.write(await reportBench());
