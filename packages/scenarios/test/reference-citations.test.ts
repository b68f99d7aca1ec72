import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Code and docs cite docs/reference.md for the contracts (scenario fields,
 * metrics, result files, commands, exit codes), not the design page the
 * project started from: that page is not in the repository, so a reader
 * sent there finds nothing.
 */
const root = fileURLToPath(new URL('../../../', import.meta.url));
// Spelled in two parts so this file does not cite it itself.
const designPage = new RegExp(`${'DESIGN'}(\\.md|'s)`);

describe('citations', () => {
  it('no .ts or .md file of the repository (tracked, or new and not ignored) points at the design page instead of docs/reference.md', () => {
    const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts', '*.md'], {
      cwd: root,
      encoding: 'utf8',
    })
      .split('\n')
      .filter(Boolean);
    expect(files.length).toBeGreaterThan(100);
    const citing = files.filter((f) => {
      try {
        return designPage.test(readFileSync(`${root}${f}`, 'utf8'));
      } catch {
        return false; // deleted in the working tree, still in the index
      }
    });
    expect(citing).toEqual([]);
  });
});
