import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../src/index.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['2s', 2000],
    ['1.5s', 1500],
    ['1m', 60_000],
    ['0ms', 0],
  ])('reads %s as %i ms', (text, ms) => {
    expect(parseDuration(text)).toEqual({ ok: true, value: ms });
  });

  it.each(['2 s', '2', 2, '-1s', '1h', '', 's', null])('refuses %j and names the path', (bad) => {
    const r = parseDuration(bad, 'origins.0.keepAliveTimeout');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('LAB_ERR_BAD_DURATION');
      expect(r.error.message).toContain('origins.0.keepAliveTimeout');
      expect(r.error.exitCode).toBe(2);
    }
  });

  it('formats back', () => {
    expect([250, 1500, 2000, 60_000].map(formatDuration)).toEqual(['250ms', '1.5s', '2s', '1m']);
  });
});
