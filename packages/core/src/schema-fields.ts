import { z } from 'zod';
import { parseDuration } from './duration.js';

/**
 * The zod fields every schema of the lab shares (scenario files, each
 * component's knobs): one definition of what a duration and a count are.
 */

/** `2s` → 2000. Refuses bare numbers: `2` could be seconds or ms. */
export const durationField = z.string({ invalid_type_error: 'a duration like 500ms, 2s or 1m' }).transform((s, ctx) => {
  const r = parseDuration(s);
  if (!r.ok) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `a duration like 500ms, 2s or 1m, found ${JSON.stringify(s)}` });
    return z.NEVER;
  }
  return r.value;
});

/** A whole number ≥ min. */
export const countField = (min: number) =>
  z.number({ invalid_type_error: 'a whole number' }).int('a whole number').min(min, `a whole number ≥ ${min}`);
