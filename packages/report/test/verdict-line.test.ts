import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { verdictLine } from '../src/index.js';

const c = new Chalk({ level: 0 });
const check = (pass: boolean, skipped?: string) => ({
  metric: 'm',
  op: 'equals' as const,
  expected: 1,
  actual: pass ? 1 : 0,
  pass,
  ...(skipped ? { skipped } : {}),
});

describe('the verdict line', () => {
  it('says a scenario without checks ran, not that 0 checks hold; counts skipped (n/a) checks apart', () => {
    const scenario = { name: 's' } as never;
    expect(verdictLine({ verdict: 'reproduced', expectations: [], scenario }, c)).toBe('✓ ran (the scenario has no checks)');
    expect(verdictLine({ verdict: 'reproduced', expectations: [check(true), check(true, 'no proxy in this run')], scenario }, c)).toBe(
      '✓ reproduced (1 checks hold, 1 skipped: n/a)',
    );
    expect(verdictLine({ verdict: 'not-reproduced', expectations: [check(true), check(false)], scenario }, c)).toBe(
      '✗ not reproduced (1 of 2 checks failed)',
    );
  });
});
