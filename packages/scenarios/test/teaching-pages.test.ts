import { access, readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listScenarioFiles } from '../src/index.js';

const root = new URL('../../../', import.meta.url);

/** Every shipped scenario is taught: a page of its own, listed in docs/README.md and the README's table. */
describe('teaching pages', () => {
  it('each scenario has docs/<name>.md, linked from docs/README.md and named in README.md', async () => {
    const names = (await listScenarioFiles()).map((f) => basename(f, '.yaml'));
    const docsIndex = await readFile(new URL('docs/README.md', root), 'utf8');
    const readme = await readFile(new URL('README.md', root), 'utf8');
    const missing: string[] = [];
    for (const n of names) {
      await access(new URL(`docs/${n}.md`, root)).catch(() => missing.push(`docs/${n}.md`));
      if (!docsIndex.includes(`(${n}.md)`)) missing.push(`docs/README.md → ${n}`);
      if (!readme.includes(`\`${n}\``)) missing.push(`README.md → ${n}`);
    }
    expect(missing).toEqual([]);
  });
});
