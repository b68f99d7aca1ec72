import { describe, expect, it } from 'vitest';
import { checkExpectations, scenarioSchema } from '../src/index.js';

const scenario = scenarioSchema.parse({
  name: 't',
  title: 'T',
  origins: [{ keepAliveTimeout: '2s' }],
  client: { requests: 20, maxSockets: 5 },
});

describe('expectations', () => {
  it('resolves bounds written as scenario fields, so --set moves them', () => {
    const checks = checkExpectations(
      [
        { metric: 'batches', equals: 'client.requests / client.maxSockets' },
        { metric: 'latency.first', atLeast: 'origins.0.keepAliveTimeout' },
        { metric: 'latency.max', atMost: '1s' },
        { metric: 'origin.connections', equals: 3 },
      ],
      { batches: 4, 'latency.first': 1999, 'latency.max': 1000 },
      scenario,
    );
    expect(checks.map((c) => [c.metric, c.expected, c.actual, c.pass])).toEqual([
      ['batches', 4, 4, true],
      ['latency.first', 2000, 1999, false],
      ['latency.max', 1000, 1000, true],
      ['origin.connections', 3, null, false], // a missing metric fails, it is never assumed
    ]);
    expect(checks[0]?.formula).toBe('client.requests / client.maxSockets');
  });
});

describe('expected-value formulas', () => {
  it('applies * and / before + and -', async () => {
    const { resolveExpected } = await import('../src/expected-value.js');
    expect(resolveExpected('client.requests * 2 - 1', scenario)).toEqual({ value: 39 });
    expect(resolveExpected('1 + client.requests / client.maxSockets', scenario)).toEqual({ value: 5 });
    expect(resolveExpected('2s', scenario)).toEqual({ value: 2000 });
    expect(resolveExpected('client.requests -', scenario)).toHaveProperty('error');
    expect(resolveExpected('client.requests / 0', scenario)).toHaveProperty('error');
  });

  it('an error counter that never fired is 0, not missing (errors.<CODE> exist only for codes that occurred)', () => {
    const [never, other] = checkExpectations(
      [
        { metric: 'errors.HTTP_502', equals: 0 },
        { metric: 'origin.connections', equals: 0 },
      ],
      {},
      scenario,
    );
    expect([never?.actual, never?.pass]).toEqual([0, true]);
    expect([other?.actual, other?.pass]).toEqual([null, false]);
  });
});
