import { cpus, loadavg } from 'node:os';
import { renderSection, renderSummary } from './lib/print.js';
import type { SectionResult } from './lib/measurement.js';
import { clientSection } from './sections/client.js';
import { l7FastGrowthSection } from './sections/l7-fast-growth.js';
import { l7FastIdleSection, l7IdleSection } from './sections/l7-idle.js';
import { l7Section } from './sections/l7.js';
import { liveSection } from './sections/live.js';
import { originSection } from './sections/origin.js';
import { pipeL4Section } from './sections/pipe-l4.js';
import { recorderSection } from './sections/recorder.js';

/**
 * `pnpm bench [name...]`: every section in one run, printed as it finishes;
 * with names, only the sections whose name starts with one of them
 * (`pnpm bench l7` runs l7, l7Idle, l7FastIdle and l7FastGrowth; `report` is the report's figures).
 * A section is a function returning rows and goals; add one as a file in
 * sections/ and a line here. Its name is the function's, less `Section`.
 */
const SECTIONS: (() => Promise<SectionResult>)[] = [
  clientSection,
  originSection,
  recorderSection,
  l7Section,
  pipeL4Section,
  l7IdleSection,
  l7FastIdleSection,
  l7FastGrowthSection,
  liveSection,
];

const wanted = process.argv.slice(2).map((a) => a.toLowerCase());
const chosen = (name: string): boolean => wanted.length === 0 || wanted.some((w) => name.toLowerCase().startsWith(w));
const sectionName = (f: () => Promise<SectionResult>): string => f.name.replace(/Section$/, '');
const known = [...SECTIONS.map(sectionName), 'report'];
const unknown = wanted.filter((w) => !known.some((k) => k.toLowerCase().startsWith(w)));
if (unknown.length > 0) {
  process.stderr.write(`pnpm bench: no section named ${unknown.join(', ')}; sections: ${known.join(', ')}\n`);
  process.exit(2);
}

const results: SectionResult[] = [];
// The load average says how much else was running: figures from a busy machine are noisier.
const load = loadavg()[0]?.toFixed(2) ?? '?';
process.stdout.write(`keepalive-lab bench — node ${process.version}, ${cpus().length} cpus, load average ${load} at start\n\n`);
for (const section of SECTIONS) {
  if (!chosen(sectionName(section))) continue;
  const r = await section();
  results.push(r);
  process.stdout.write(`${renderSection(r)}\n`);
}
process.stdout.write(renderSummary(results));
if (chosen('report')) {
  // The report's figures (write time, render time) are not req/s rows: it prints its own lines.
  const { reportBench } = await import('./report.js');
  process.stdout.write(await reportBench());
}
