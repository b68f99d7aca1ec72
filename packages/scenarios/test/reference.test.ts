import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { knownKeys } from '../src/known-keys.js';
import { withGeneratedSections } from '../src/index.js';

const page = () => readFile(new URL('../../../docs/reference.md', import.meta.url), 'utf8');

describe('docs/reference.md', () => {
  it('its kinds and metrics tables are what the registry and the catalogue say (pnpm docs:reference rewrites them)', async () => {
    const text = await page();
    expect(withGeneratedSections(text)).toBe(text);
    expect(text).toContain('| `nginx` | l7 |');
    expect(text).toContain('| `proxy.retries` | both ends |');
  });

  it('names every scenario field the schema knows', async () => {
    const text = await page();
    // As a field of its own (`name`), at the end of a path (`client.requests`) or inside one (`origins.N.faults.silent`, `{ metric, why }`).
    const missing = [...knownKeys].filter((k) => !new RegExp(`[\`.{ ]${k}[\`.,} ]`).test(text));
    expect(missing).toEqual([]);
  });
});
