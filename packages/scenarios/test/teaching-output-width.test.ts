import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The teaching pages show terminal output as a user gets it at the default
 * width (output piped, no COLUMNS: 100 columns, packages/report/src/terminal/width.ts),
 * so a reader at a 100-column terminal sees the tables the page shows.
 * reference.md is left out: its markdown tables are not terminal output.
 */
const MAX = 100;
const docs = fileURLToPath(new URL('../../../docs/', import.meta.url));

/** `page:line: N characters` for each line inside a ``` fence longer than MAX characters (code points: tables are box-drawing). */
function overWide(page: string, text: string): string[] {
  const found: string[] = [];
  let inFence = false;
  text.split('\n').forEach((line, i) => {
    if (/^\s*```/.test(line)) {
      inFence = !inFence;
      return;
    }
    const length = [...line].length;
    if (inFence && length > MAX) found.push(`docs/${page}:${i + 1}: ${length} characters (at most ${MAX})`);
  });
  return found;
}

describe('teaching pages: output width', () => {
  it(`no line in a fenced block of docs/*.md (but reference.md) is over ${MAX} characters`, () => {
    const pages = readdirSync(docs).filter((f) => f.endsWith('.md') && f !== 'reference.md');
    expect(pages.length).toBeGreaterThan(20);
    const found = pages.flatMap((page) => overWide(page, readFileSync(`${docs}${page}`, 'utf8')));
    expect(found).toEqual([]);
  });

  it('counts characters, not bytes, and only inside fences', () => {
    const table = `│${'─'.repeat(98)}│`;
    expect(overWide('x.md', `${'a'.repeat(150)}\n\`\`\`\n${table}\n\`\`\`\n`)).toEqual([]);
    expect(overWide('x.md', `text\n\`\`\`\n${table}─\n\`\`\`\n`)).toEqual(['docs/x.md:3: 101 characters (at most 100)']);
  });
});
