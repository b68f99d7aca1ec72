import { LabError } from '@keepalive-lab/core';

/** A bad flag value, as every command reports one: `--flag: expected X, found "y"` (exit 2). */
export function usageError(flag: string, expected: string, found: unknown): LabError {
  return new LabError('LAB_ERR_USAGE', `${flag}: expected ${expected}, found ${JSON.stringify(found)}`, {
    path: flag,
    expected,
    found: JSON.stringify(found),
  });
}

/** `value` if it is one of `choices`, else the usage error that lists them (the message names them all). */
export function oneOf<T extends string>(flag: string, value: unknown, choices: readonly T[]): T {
  const found = choices.find((c) => c === value);
  if (found === undefined) throw usageError(flag, `one of ${choices.join(', ')}`, value);
  return found;
}
