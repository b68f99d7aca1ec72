// Writes the generated sections of docs/reference.md (scenario fields, proxy kinds, metrics, commands) from the code.
import { readFile, writeFile } from 'node:fs/promises';
import { withGeneratedSections } from '@keepalive-lab/scenarios';
import { commandsReference, labCommands } from './reference-commands.js';

// Which topologies have a metric is asked of the run-time rule, which knows TIME_WAIT is counted on Linux only.
if (process.platform !== 'linux') {
  process.stderr.write(
    `docs:reference: run it on Linux (this is ${process.platform}): the metrics table would mark timeWait.* as absent\n`,
  );
  process.exit(1);
}
const file = new URL('../docs/reference.md', import.meta.url);
const page = await readFile(file, 'utf8');
const next = withGeneratedSections(page, { commands: commandsReference(await labCommands()) });
await writeFile(file, next);
process.stdout.write(next === page ? 'docs/reference.md is up to date\n' : 'docs/reference.md: generated sections rewritten\n');
