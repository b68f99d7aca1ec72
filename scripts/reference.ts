// Writes the generated sections of docs/reference.md (proxy kinds, metrics) from the code.
import { readFile, writeFile } from 'node:fs/promises';
import { withGeneratedSections } from '@keepalive-lab/scenarios';

const file = new URL('../docs/reference.md', import.meta.url);
const page = await readFile(file, 'utf8');
const next = withGeneratedSections(page);
await writeFile(file, next);
process.stdout.write(next === page ? 'docs/reference.md is up to date\n' : 'docs/reference.md: generated sections rewritten\n');
