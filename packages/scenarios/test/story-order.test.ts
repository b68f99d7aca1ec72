import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inStoryOrder, listScenarioFiles, STORY_ORDER } from '../src/index.js';

const root = new URL('../../../', import.meta.url);

/** The scenario names of a markdown table's first column, in the table's order (`[name](name.md)` or `` `name` ``). */
function tableOrder(markdown: string, known: string[]): string[] {
  return markdown
    .split('\n')
    .map((line) => /^\| \[?`?([a-z0-9-]+)`?\]?/.exec(line)?.[1] ?? '')
    .filter((n) => known.includes(n));
}

describe('the story order', () => {
  it('names every shipped scenario once, in the order docs/README.md and README.md teach them', async () => {
    const shipped = (await listScenarioFiles()).map((f) => basename(f, '.yaml'));
    expect([...STORY_ORDER].sort()).toEqual([...shipped].sort());
    const docs = await readFile(new URL('docs/README.md', root), 'utf8');
    const readme = await readFile(new URL('README.md', root), 'utf8');
    expect(tableOrder(docs, shipped)).toEqual([...STORY_ORDER]);
    expect(tableOrder(readme, shipped)).toEqual([...STORY_ORDER]);
  });

  it("listScenarioFiles gives that order (lab list, lab run --all and lab matrix read it), a user folder's own scenarios after", async () => {
    const shipped = (await listScenarioFiles()).map((f) => basename(f, '.yaml'));
    expect(shipped).toEqual([...STORY_ORDER]);
  });

  it('puts the seed experiments first and a scenario the lab does not ship last, keeping the order of equals', () => {
    const items = ['my-own', 'origin-down:b', 'keepalive-l4', 'a-user-scenario', 'close-direct', 'origin-down:a'];
    expect(inStoryOrder(items, (i) => i.split(':')[0] ?? '')).toEqual([
      'close-direct',
      'keepalive-l4',
      'origin-down:b',
      'origin-down:a',
      'a-user-scenario',
      'my-own',
    ]);
  });
});
