import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { knownKeys } from '../src/known-keys.js';
import { withGeneratedSections } from '../src/index.js';
import { scenarioFieldRows } from '../src/reference/scenario-fields.js';

const page = () => readFile(new URL('../../../docs/reference.md', import.meta.url), 'utf8');

describe('docs/reference.md', () => {
  // The metrics table asks the run-time rule, which counts TIME_WAIT on Linux only: the page is made on Linux.
  it.runIf(process.platform === 'linux')(
    'its fields, kinds and metrics tables are what the schema, the registry and the catalogue say (pnpm docs:reference rewrites them)',
    async () => {
      const text = await page();
      expect(withGeneratedSections(text)).toBe(text);
      expect(text).toContain('| `nginx` | l7 |');
      expect(text).toContain('| `origins.N.keepAliveTimeout` | duration | `5s` | ms, s or m |');
    },
  );

  it('says which topologies have a metric as the run-time rule does: no proxy counts direct, the lab’s own counts only for its engines', async () => {
    const text = await page();
    expect(text).toMatch(/^\| `proxy\.retries` \| .* \| both ends \| – \| ✓ \| ✓ \| ✓ \|$/m);
    expect(text).toMatch(/^\| `proxy\.own\.retries` \| .* \| lab proxy \| – \| – \| lab's \| lab's L7 \|$/m);
    expect(text).toMatch(/^\| `timeWait\.proxyClient` \| .* \| run \| – \| ✓ \| ✓ \| ✓ \|$/m);
  });

  it('names every scenario field the schema knows', async () => {
    const text = await page();
    // As a field of its own (`name`), at the end of a path (`client.requests`) or inside one (`origins.N.faults.silent`, `{ metric, why }`).
    const missing = [...knownKeys].filter((k) => !new RegExp(`[\`.{ ]${k}[\`.,} ]`).test(text));
    expect(missing).toEqual([]);
  });

  it('gives every scenario field a type, a meaning and an example, from the schema itself', () => {
    const rows = scenarioFieldRows();
    const undocumented = rows.filter((r) => r.meaning === '–' || r.example === '–').map((r) => r.path);
    expect(undocumented).toEqual([]);
    // Paths the reader types in --set, with N for a list index; shapes met twice point at the first.
    const byPath = new Map(rows.map((r) => [r.path, r]));
    expect(byPath.get('client.intervalSweep.from')?.type).toBe('duration');
    expect(byPath.get('variants.N.expect')?.type).toBe('list of objects, as `expect`');
    expect(byPath.get('client.requests')).toMatchObject({ type: 'whole number, 1–1000000', default: '`20`', unit: 'requests' });
  });
});
