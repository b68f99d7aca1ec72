import { LabError } from './errors.js';
import { fail, ok, type Result } from './result.js';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000 } as const;
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m)$/;

/**
 * Parses `500ms`, `2s`, `1.5s`, `1m` into milliseconds. A bare number is
 * refused on purpose: `2` could mean seconds or ms, and guessing hides bugs.
 */
export function parseDuration(input: unknown, path = 'duration'): Result<number, LabError> {
  const text = typeof input === 'string' ? input.trim() : undefined;
  const m = text === undefined ? null : DURATION.exec(text);
  if (!m) {
    return fail(
      new LabError('LAB_ERR_BAD_DURATION', `${path}: expected a duration like 500ms, 2s or 1m, found ${JSON.stringify(input)}`, {
        path,
        expected: 'a duration like 500ms, 2s or 1m',
        found: JSON.stringify(input),
      }),
    );
  }
  return ok(Math.round(Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS]));
}

/** `1500` → `1.5s`, `250` → `250ms`: the inverse, for printing. */
export function formatDuration(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000) return `${Number((ms / 1000).toFixed(2))}s`;
  return `${Math.round(ms)}ms`;
}
