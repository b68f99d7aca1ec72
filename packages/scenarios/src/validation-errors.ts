import type { ZodIssue } from 'zod';
import { LabError } from '@keepalive-lab/core';
import { findProxyComponent } from '@keepalive-lab/proxies';
import type { Override } from './overrides.js';
import { PROXY_KIND_EXPECTED } from './schema.js';

/** One thing wrong with a scenario file (or a `--set` on it), as a lone error would report it. */
export interface ScenarioProblem {
  /** `LAB_ERR_BAD_OVERRIDE` when a `--set` put the value there, else `LAB_ERR_SCENARIO_INVALID`. */
  code: 'LAB_ERR_SCENARIO_INVALID' | 'LAB_ERR_BAD_OVERRIDE';
  /** The scenario file. */
  file: string;
  /** Dotted path inside the file: `origins.0.keepAliveTimeout`. */
  path: string;
  expected?: string;
  found?: string;
  /** The `--set` (as typed) that put the value there, when one did. */
  override?: string;
  /** The problem on one line, naming the file: `file: path: expected X, found Y`. */
  message: string;
  /** Where it sits in the file (keys and indexes), to list problems in document order. */
  at: (string | number)[];
}

/** Shown one a line; past this many, "and N more". */
export const MAX_PROBLEMS_SHOWN = 20;

/**
 * Every problem of a scenario file at once, as one error. A lone problem reads
 * as it always has (`file: path: expected X, found Y`); several read as
 * `file: N problems`, then one indented line each, in the order given.
 * `problems` keeps them all, for a caller that wants them one by one.
 */
export class ScenarioProblemsError extends LabError {
  readonly problems: readonly ScenarioProblem[];

  constructor(file: string, problems: ScenarioProblem[]) {
    const [first] = problems;
    if (first === undefined) throw new LabError('LAB_ERR_INTERNAL', `${file}: a scenario error with no problem in it`);
    // The flag's own code only when every problem is a --set's: otherwise the file itself needs mending.
    const code = problems.every((p) => p.code === 'LAB_ERR_BAD_OVERRIDE') ? 'LAB_ERR_BAD_OVERRIDE' : 'LAB_ERR_SCENARIO_INVALID';
    const message = problems.length === 1 ? first.message : listMessage(file, problems);
    super(code, message, { file, path: first.path, expected: first.expected, found: first.found });
    this.problems = problems;
  }
}

function listMessage(file: string, problems: ScenarioProblem[]): string {
  const lines = problems.slice(0, MAX_PROBLEMS_SHOWN).map((p) => `  ${withoutFile(p.message, file)}`);
  const more = problems.length - MAX_PROBLEMS_SHOWN;
  if (more > 0) lines.push(`  ... and ${more} more`);
  return [`${file}: ${problems.length} problems`, ...lines].join('\n');
}

/** `file: path: ...` → `path: ...`; `file (variant a): ...` → `(variant a): ...`. */
function withoutFile(message: string, file: string): string {
  return message.startsWith(file) ? message.slice(file.length).replace(/^:?\s*/, '') : message;
}

/** The `--set` that put a value at `path` (or under it, or above it), if one did: then it is to blame, not the file. */
function overrideAt(path: string, overrides: Override[]): Override | undefined {
  return overrides.find((o) => path.startsWith(o.path.join('.')) || o.path.join('.').startsWith(path === '' ? '\u0000' : path));
}

/**
 * Turns a schema issue into problems a person can act on (one per unknown
 * key): the file, the path inside it (or the `--set` that put the value
 * there), what was expected and what was found. `where` is the file, or the
 * file and the variant: `x.yaml (variant a)`.
 */
export function issueToProblems(
  issue: ZodIssue,
  file: string,
  where: string,
  raw: unknown,
  overrides: Override[],
  knownKeys: Set<string>,
): ScenarioProblem[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => unknownKeyProblem(issue.path, key, file, where, raw, overrides, knownKeys));
  }
  const path = issue.path.join('.');
  let expected: string;
  let found = describe(valueAt(raw, issue.path));
  switch (issue.code) {
    case 'invalid_type':
      expected = issue.expected === 'string' && /duration/.test(issue.message) ? issue.message : humanType(issue.expected);
      found = issue.received === 'undefined' ? 'nothing' : found;
      break;
    case 'invalid_enum_value':
      expected = `one of ${issue.options.join(', ')}`;
      break;
    case 'invalid_union_discriminator':
      expected = PROXY_KIND_EXPECTED;
      break;
    default:
      expected = issue.message.replace(/^a duration like 500ms, 2s or 1m, found .*/, 'a duration like 500ms, 2s or 1m');
  }
  return [problem(file, where, path, issue.path, expected, found, overrides)];
}

function unknownKeyProblem(
  at: (string | number)[],
  key: string,
  file: string,
  where: string,
  raw: unknown,
  overrides: Override[],
  knownKeys: Set<string>,
): ScenarioProblem {
  const parent = at.join('.');
  const path = parent === '' ? key : `${parent}.${key}`;
  const kind = parent === 'proxy' ? findProxyComponent(String(valueAt(raw, [...at, 'kind']))) : undefined;
  let expected: string;
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
  return problem(file, where, path, [...at, key], expected, `unknown key "${key}"`, overrides);
}

/** A problem at `path`: blamed on the `--set` that wrote there, if one did, else on the file. */
export function problem(
  file: string,
  where: string,
  path: string,
  at: (string | number)[],
  expected: string,
  found: string,
  overrides: Override[],
): ScenarioProblem {
  const from = overrideAt(path, overrides);
  return {
    code: from ? 'LAB_ERR_BAD_OVERRIDE' : 'LAB_ERR_SCENARIO_INVALID',
    file,
    path,
    expected,
    found,
    ...(from ? { override: from.text } : {}),
    message: `${from ? `${where}: --set ${from.text}` : where}: ${path || '(top level)'}: expected ${expected}, found ${found}`,
    at,
  };
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

const HUMAN_TYPES: Record<string, string> = {
  number: 'a number',
  integer: 'a whole number',
  string: 'a string',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
};

const humanType = (t: string): string => HUMAN_TYPES[t] ?? t;

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
