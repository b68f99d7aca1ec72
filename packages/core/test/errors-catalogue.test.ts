import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, LabError } from '../src/index.js';

describe('error catalogue', () => {
  it('docs/errors.md and ERROR_CODES list the same codes with the same exit codes', async () => {
    const doc = await readFile(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
    const documented = [...doc.matchAll(/^\| `(LAB_ERR_[A-Z_]+)` \| (\d) \|/gm)].map((m) => [m[1], Number(m[2])]);
    const coded = Object.entries(ERROR_CODES).map(([code, v]) => [code, v.exitCode]);
    expect(documented.sort()).toEqual(coded.sort());
  });

  it('a LabError carries its code, exit code and details', () => {
    const e = new LabError('LAB_ERR_BAD_OVERRIDE', 'bad', { path: 'client.requests' });
    expect([e.code, e.exitCode, e.details.path, e.name]).toEqual(['LAB_ERR_BAD_OVERRIDE', 2, 'client.requests', 'LabError']);
  });
});
