import type { ZodIssue } from 'zod';
import { LabError } from '@keepalive-lab/core';
import { findProxyComponent } from '@keepalive-lab/proxies';
import type { Override } from './overrides.js';
import { PROXY_KIND_EXPECTED } from './schema.js';

/**
 * Turns the first schema issue into a message a person can act on: the file,
 * the path inside it (or the `--set` that put the value there), what was
 * expected and what was found.
 */
export function issueToError(issue: ZodIssue, file: string, raw: unknown, overrides: Override[], knownKeys: Set<string>): LabError {
  const path = issue.path.join('.');
  // An unknown key's own path (`origin` at the top level): an override that put it there is to blame, not the file.
  const keyPath = issue.code === 'unrecognized_keys' ? [path, issue.keys[0] ?? ''].filter((p) => p !== '').join('.') : path;
  const from = overrides.find(
    (o) => keyPath.startsWith(o.path.join('.')) || o.path.join('.').startsWith(keyPath === '' ? '\u0000' : keyPath),
  );
  const where = from ? `${file}: --set ${from.text}` : file;
  let expected: string;
  let found = describe(valueAt(raw, issue.path));
  let shownPath = path;
  switch (issue.code) {
    case 'invalid_type':
      expected = issue.expected === 'string' && /duration/.test(issue.message) ? issue.message : humanType(issue.expected);
      found = issue.received === 'undefined' ? 'nothing' : found;
      break;
    case 'invalid_enum_value':
      expected = `one of ${issue.options.join(', ')}`;
      break;
    case 'unrecognized_keys': {
      const key = issue.keys[0] ?? '';
      shownPath = path === '' ? key : `${path}.${key}`;
      const kind = path === 'proxy' ? findProxyComponent(String(valueAt(raw, [...issue.path, 'kind']))) : undefined;
      if (kind !== undefined) {
        // A knob of another kind (`--set proxy.kind=nginx` on an l7 scenario): name the kind and what it takes.
        const takes = Object.keys(kind.knobs);
        const guess = closest(key, new Set(takes));
        const didYouMean = guess ? ` (did you mean "${guess}"?)` : '';
        expected = `a knob of proxy kind ${kind.kind}${didYouMean}; ${kind.kind} takes ${takes.length === 0 ? 'no knobs' : takes.join(', ')}`;
      } else {
        const guess = closest(key, knownKeys);
        expected = guess ? `a known key (did you mean "${guess}"?)` : 'a known key';
      }
      found = `unknown key "${key}"`;
      break;
    }
    case 'invalid_union_discriminator':
      expected = PROXY_KIND_EXPECTED;
      found = describe(valueAt(raw, issue.path));
      break;
    default:
      expected = issue.message.replace(/^a duration like 500ms, 2s or 1m, found .*/, 'a duration like 500ms, 2s or 1m');
  }
  return new LabError(
    from ? 'LAB_ERR_BAD_OVERRIDE' : 'LAB_ERR_SCENARIO_INVALID',
    `${where}: ${shownPath || '(top level)'}: expected ${expected}, found ${found}`,
    { file, path: shownPath, expected, found },
  );
}

function valueAt(raw: unknown, path: (string | number)[]): unknown {
  let node = raw;
  for (const k of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[k];
  }
  return node;
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function humanType(t: string): string {
  return { number: 'a number', string: 'a string', boolean: 'true or false', array: 'a list', object: 'a mapping' }[t] ?? t;
}

/** The known key nearest to a typo, if it is near enough to be a typo. */
export function closest(key: string, known: Set<string>): string | null {
  let best: string | null = null;
  let bestD = Math.max(2, Math.floor(key.length / 4)) + 1;
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}
