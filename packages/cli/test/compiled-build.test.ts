import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * `lab` runs the packages' compiled JavaScript (bin/compiled.js), rebuilt
 * whenever a source changed. Tried on a copy of the packages, so editing a
 * source here disturbs no other test.
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const copy = mkdtempSync(join(tmpdir(), 'lab-compiled-'));

afterAll(() => rmSync(copy, { recursive: true, force: true }));

function lab(root: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(root, 'packages/cli/bin/lab.js'), ...args],
      { env: { ...process.env, ...env }, timeout: 30_000 },
      (err, out, stderr) => resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, out, err: stderr }),
    );
  });
}

/** packages/<p>/{src,bin,package.json} and the scenarios copied; each package's node_modules linked to the real one. */
function copyPackages(into: string): void {
  cpSync(join(ROOT, 'tsconfig.base.json'), join(into, 'tsconfig.base.json'));
  cpSync(join(ROOT, 'scenarios'), join(into, 'scenarios'), { recursive: true });
  for (const p of readdirSync(join(ROOT, 'packages'))) {
    const from = join(ROOT, 'packages', p);
    const to = join(into, 'packages', p);
    cpSync(join(from, 'src'), join(to, 'src'), { recursive: true });
    cpSync(join(from, 'package.json'), join(to, 'package.json'));
    if (existsSync(join(from, 'bin'))) cpSync(join(from, 'bin'), join(to, 'bin'), { recursive: true });
    symlinkSync(join(from, 'node_modules'), join(to, 'node_modules'));
  }
}

describe('lab runs its compiled build', () => {
  it(
    'builds on first use, then rebuilds when a source changes, with the same output as the sources give',
    { timeout: 90_000 },
    async () => {
      copyPackages(copy);
      const dist = join(copy, 'packages/cli/dist');
      expect(existsSync(dist)).toBe(false);

      const first = await lab(copy, ['list', '--kinds']);
      expect(first.err).toBe('');
      expect(first.code).toBe(0);
      expect(first.out).toMatch(/^naive-l4 /m);
      // Every package compiled beside its sources; a sibling import points at the sibling's build, not its TypeScript.
      expect(existsSync(join(dist, 'main.js'))).toBe(true);
      expect(existsSync(join(copy, 'packages/report/dist/html/assets/report.css'))).toBe(true);
      const proxiesIndex = readFileSync(join(copy, 'packages/proxies/dist/index.js'), 'utf8');
      expect(proxiesIndex).not.toMatch(/\.ts["']/);
      const stamp = readFileSync(join(dist, '.built'), 'utf8');

      // The sources, through tsx, say the same.
      const fromSource = await lab(copy, ['list', '--kinds'], { LAB_FROM_SOURCE: '1' });
      expect(fromSource.out).toBe(first.out);

      // An edit is picked up by the next `lab`: the kind's one-line summary changed in the source.
      const kindFile = join(copy, 'packages/proxies/src/kinds/naive-l4.ts');
      const before = readFileSync(kindFile, 'utf8');
      const summary = /summary: (["']).+?\1,/.exec(before)?.[0];
      expect(summary).toBeDefined();
      writeFileSync(kindFile, before.replace(summary ?? '', "summary: 'EDITED SUMMARY',"));
      const second = await lab(copy, ['list', '--kinds']);
      expect(second.code).toBe(0);
      expect(first.out).not.toContain('EDITED SUMMARY');
      expect(second.out).toContain('EDITED SUMMARY');
      expect(readFileSync(join(dist, '.built'), 'utf8')).not.toBe(stamp);
    },
  );

  it('runs from the sources when told to (LAB_FROM_SOURCE=1), leaving no build behind', { timeout: 60_000 }, async () => {
    const fresh = mkdtempSync(join(tmpdir(), 'lab-source-'));
    try {
      copyPackages(fresh);
      const r = await lab(fresh, ['list', '--kinds'], { LAB_FROM_SOURCE: '1' });
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^naive-l4 /m);
      expect(existsSync(join(fresh, 'packages/cli/dist'))).toBe(false);
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });
});
