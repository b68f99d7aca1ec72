import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '@keepalive-lab/core';
import { withGeneratedSections } from '@keepalive-lab/scenarios';
import { commandsReference, labCommands } from '../../../scripts/reference-commands.js';
import { main } from '../src/main.js';
import { fakeContext } from './fake-context.js';

/**
 * docs/reference.md against the program `lab` runs: every command and flag
 * commander knows is on the page, every flag the page names exists, and the
 * exit codes it lists are the ones the lab returns. (After adding a flag:
 * `pnpm docs:reference`.)
 */
const page = await readFile(new URL('../../../docs/reference.md', import.meta.url), 'utf8');

/** The text of `## <title>`, up to the next `## `. */
function section(title: string): string {
  const start = page.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`docs/reference.md has no section "## ${title}"`);
  const end = page.indexOf('\n## ', start + 1);
  return page.slice(start, end < 0 ? undefined : end);
}

const commands = await labCommands();

describe('docs/reference.md: Commands', () => {
  it('its generated part is what commander says (pnpm docs:reference rewrites it)', () => {
    expect(withGeneratedSections(page, { commands: commandsReference(commands) })).toBe(page);
  });

  it('has a heading for every command, and a row for each of its flags, as commander spells it', () => {
    const text = section('Commands');
    const missing: string[] = [];
    for (const c of commands) {
      const at = text.indexOf(`### \`lab ${c.name()}`);
      if (at < 0) missing.push(`lab ${c.name()}`);
      // The command's own part: from its heading to the next one.
      const own = text.slice(at, text.indexOf('\n### ', at + 1) >>> 0);
      for (const o of c.options) if (!own.includes(`| \`${o.flags}\` |`)) missing.push(`lab ${c.name()} ${o.flags}`);
    }
    expect(missing).toEqual([]);
  });

  it('names no flag and no command that lab does not have', () => {
    const text = section('Commands');
    const flags = new Set(['--help', ...commands.flatMap((c) => c.options.flatMap((o) => [o.long, o.short]))]);
    const named = [...text.matchAll(/(?<![\w-])(--?[a-z][a-z-]*)/g)].map((m) => m[1]);
    expect(named.filter((f) => !flags.has(f) && f !== '-h')).toEqual([]);
    const names = new Set(commands.map((c) => c.name()));
    const cited = [...page.matchAll(/`lab ([a-z]+)/g)].map((m) => m[1]);
    expect(cited.filter((n) => !names.has(n ?? ''))).toEqual([]);
  });
});

describe('docs/reference.md: Exit codes', () => {
  /** Each row of the table: its code and the error codes it names. */
  const rows = [...section('Exit codes').matchAll(/^\| (\d) \| (.*) \|$/gm)].map((m) => ({
    code: Number(m[1]),
    errors: [...(m[2] ?? '').matchAll(/`(LAB_ERR_[A-Z_]+)`/g)].map((e) => e[1]),
  }));

  it('lists each error code under the exit code errors.ts gives it, and every exit code the lab returns', async () => {
    const listed = rows.flatMap((r) => r.errors.map((e) => [e, r.code]));
    const coded = Object.entries(ERROR_CODES).map(([e, v]) => [e, v.exitCode]);
    expect(listed.sort()).toEqual(coded.sort());
    // Besides the errors' codes: success, and a usage error commander itself refuses.
    const usage = await main(['node', 'lab', 'run', '--no-such-flag'], fakeContext().ctx);
    const help = await main(['node', 'lab', '--help'], fakeContext().ctx);
    const returned = new Set([help, usage, ...Object.values(ERROR_CODES).map((v) => v.exitCode)]);
    expect(rows.map((r) => r.code)).toEqual([...returned].sort());
  });
});
