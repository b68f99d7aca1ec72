import { describe, expect, it } from 'vitest';
import { batchesOf, computeMetrics, joinRecords } from '../src/index.js';
import { clientRecord } from './helpers/records.js';

const lengths = (ends: number[], gap: number) => batchesOf(ends, gap).map((w) => w.length);

describe('batchesOf: a new completion wave only past batchGap', () => {
  it('a gap of exactly batchGap keeps the same wave', () => {
    expect(batchesOf([1000, 1500], 500)).toEqual([[1000, 1500]]);
    // Neighbours chain: each step is exactly the gap, so all of it is one wave.
    expect(lengths([0, 500, 1000, 1500], 500)).toEqual([4]);
  });

  it('a gap just over batchGap starts a new wave', () => {
    expect(batchesOf([1000, 1500.5], 500)).toEqual([[1000], [1500.5]]);
    expect(lengths([0, 500, 1000.25, 1500.25], 500)).toEqual([2, 2]);
  });

  it('the gap is measured between neighbours, not from the wave start', () => {
    // 0 → 1200 spans more than the gap, but no two neighbours are more than 400 apart.
    expect(lengths([0, 400, 800, 1200], 400)).toEqual([4]);
    expect(lengths([0, 400, 801, 1201], 400)).toEqual([2, 2]);
  });

  it('no ends: no waves', () => {
    expect(batchesOf([], 500)).toEqual([]);
  });
});

describe('the batches metric: analysis.batchGap is the largest gap inside one wave', () => {
  const batches = (ends: number[], batchGap: number) =>
    computeMetrics({
      requests: joinRecords(
        ends.map((end, i) => clientRecord({ id: `r${i}`, start: 0, end, status: 200, error: null, clientPort: 40000 + i, reused: false })),
        [],
      ),
      events: [],
      durationMs: Math.max(...ends),
      batchGap,
    }).batches;

  it('answers exactly batchGap apart are one batch; a millisecond more makes two', () => {
    expect(batches([3000, 3250], 250)).toBe(1);
    expect(batches([3000, 3251], 250)).toBe(2);
  });
});
