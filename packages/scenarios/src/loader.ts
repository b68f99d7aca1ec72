import { access, readFile, readdir } from 'node:fs/promises';
import { basename, extname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { LabError, fail, ok, type Result } from '@keepalive-lab/core';
import { applyOverride, parseOverride, type Override } from './overrides.js';
import { knownKeys } from './known-keys.js';
import { scenarioSchema, type Scenario, type VariantSpec } from './schema.js';
import { closest, issueToError } from './validation-errors.js';
import { METRIC_NAMES, isKnownMetric } from './metric-catalogue.js';
import { resolveExpected } from './expected-value.js';
import { inStoryOrder } from './story-order.js';

/** The scenarios shipped with the lab, at the repository's top level. */
export const BUILTIN_SCENARIO_DIR = fileURLToPath(new URL('../../../scenarios/', import.meta.url));

export interface LoadedScenario {
  file: string;
  scenario: Scenario;
  /** The document as read plus overrides, before defaults: what variants start from. */
  raw: Record<string, unknown>;
  overrides: Override[];
}

/** One concrete run of a scenario: itself, or one of its variants. */
export interface ScenarioRun {
  variant: VariantSpec | null;
  scenario: Scenario;
}

/** `keepalive-l4`, `./my.yaml` or `/abs/x.yml` → the file to read. */
export async function findScenario(ref: string, dirs: string[] = [BUILTIN_SCENARIO_DIR]): Promise<Result<string, LabError>> {
  if (/\.ya?ml$/i.test(ref) || ref.includes('/')) return ok(isAbsolute(ref) ? ref : resolve(ref));
  for (const dir of dirs) {
    const file = join(dir, `${ref}.yaml`);
    if (await exists(file)) return ok(file);
  }
  const known = (await listScenarioFiles(dirs)).map((f) => basename(f, extname(f)));
  return fail(new LabError('LAB_ERR_SCENARIO_NOT_FOUND', `no scenario named "${ref}"`, { found: ref, known }));
}

export async function listScenarioFiles(dirs: string[] = [BUILTIN_SCENARIO_DIR]): Promise<string[]> {
  const files = new Map<string, string>();
  for (const dir of dirs) {
    const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [] as string[]; // a missing folder simply holds no scenarios
      throw err;
    });
    for (const n of names.filter((n) => /\.ya?ml$/.test(n)).sort()) if (!files.has(n)) files.set(n, join(dir, n));
  }
  // The story's order (seed experiments first): `lab list`, `lab run --all` and `lab matrix` all go through here.
  return inStoryOrder([...files.values()], (f) => basename(f, extname(f)));
}

/** Reads, applies `--set` overrides, validates. Nothing runs on failure. */
export async function loadScenario(file: string, sets: string[] = []): Promise<Result<LoadedScenario, LabError>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    return fail(new LabError('LAB_ERR_SCENARIO_NOT_FOUND', `${file}: cannot read the file (${code})`, { file }, { cause: err }));
  }
  const doc = parseDocument(text, { prettyErrors: true });
  const syntax = doc.errors[0];
  if (syntax) {
    const pos = syntax.linePos?.[0];
    const at = pos ? `:${pos.line}:${pos.col}` : '';
    const msg = syntax.message.split('\n')[0];
    return fail(new LabError('LAB_ERR_SCENARIO_INVALID', `${file}${at}: not valid YAML: ${msg}`, { file, expected: 'valid YAML' }));
  }
  const raw: unknown = doc.toJS();
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return fail(
      new LabError('LAB_ERR_SCENARIO_INVALID', `${file}: expected a mapping at the top level (name:, title:, ...)`, {
        file,
        expected: 'a mapping',
      }),
    );
  }
  const overrides: Override[] = [];
  for (const s of sets) {
    const o = parseOverride(s);
    if (!o.ok) return o;
    overrides.push(o.value);
  }
  const withOverrides = structuredClone(raw) as Record<string, unknown>;
  for (const o of overrides) {
    const r = applyOverride(withOverrides, o);
    if (!r.ok) return r;
  }
  const parsed = validate(withOverrides, file, overrides);
  if (!parsed.ok) return parsed;
  // Every variant must validate too, before anything runs.
  for (const v of parsed.value.variants ?? []) {
    const r = variantScenario({ file, scenario: parsed.value, raw: withOverrides, overrides }, v);
    if (!r.ok) return r;
  }
  return ok({ file, scenario: parsed.value, raw: withOverrides, overrides });
}

/** The runs a scenario makes: one, or one per variant. */
export function scenarioRuns(loaded: LoadedScenario): Result<ScenarioRun[], LabError> {
  const variants = loaded.scenario.variants;
  if (!variants || variants.length === 0) return ok([{ variant: null, scenario: loaded.scenario }]);
  const runs: ScenarioRun[] = [];
  for (const v of variants) {
    const r = variantScenario(loaded, v);
    if (!r.ok) return r;
    runs.push({ variant: v, scenario: r.value });
  }
  return ok(runs);
}

/** A variant is the scenario with its `set` applied first, then the user's `--set`. */
function variantScenario(loaded: LoadedScenario, v: VariantSpec): Result<Scenario, LabError> {
  return resolveRun(loaded, v, null);
}

/**
 * The scenario (or one variant of it) as `lab matrix` runs it through
 * `kind`: the proxy block becomes `{ kind }`, so every kind runs with its own
 * defaults, and the variant's sets on `proxy.*` (knobs of the scenario's own
 * kind) are left out. Everything else — origins, faults, client — is the
 * scenario's.
 */
export function scenarioThrough(loaded: LoadedScenario, v: VariantSpec | null, kind: string): Result<Scenario, LabError> {
  return resolveRun(loaded, v, kind);
}

function resolveRun(loaded: LoadedScenario, v: VariantSpec | null, kind: string | null): Result<Scenario, LabError> {
  const base = structuredClone(loaded.raw);
  delete base.variants;
  if (kind !== null) {
    delete base.proxies;
    base.proxy = { kind };
    // The teaching checks are written for the scenario's own proxy (and may name its knobs): a matrix reads observe: rows only.
    base.expect = [];
  }
  const where = v === null ? '' : ` (variant ${v.name})`;
  const sets: Override[] = Object.entries(v?.set ?? {})
    .filter(([k]) => kind === null || (k !== 'proxy' && !k.startsWith('proxy.')))
    .map(([k, value]) => ({ path: k.split('.'), value, text: `${k}=${JSON.stringify(value)}` }));
  for (const o of [...sets, ...loaded.overrides]) {
    const r = applyOverride(base, o);
    if (!r.ok) return fail(new LabError(r.error.code, `${loaded.file}:${where} ${r.error.message}`, { file: loaded.file }));
  }
  const parsed = validate(base, `${loaded.file}${where}`, loaded.overrides);
  if (!parsed.ok) return parsed;
  const expect = kind === null ? [...parsed.value.expect, ...(v?.expect ?? [])] : [];
  return ok({ ...parsed.value, expect, observe: [...parsed.value.observe, ...(v?.observe ?? [])] });
}

function validate(raw: Record<string, unknown>, file: string, overrides: Override[]): Result<Scenario, LabError> {
  const r = scenarioSchema.safeParse(raw);
  if (r.success) return checkBounds(r.data, file);
  const issue = r.error.issues[0];
  if (!issue) return fail(new LabError('LAB_ERR_INTERNAL', `${file}: validation failed without an issue`));
  return fail(issueToError(issue, file, raw, overrides, knownKeys));
}

/** Every checked or observed metric must be in the catalogue, and every bound resolve against the scenario, before anything runs. */
function checkBounds(s: Scenario, file: string): Result<Scenario, LabError> {
  type Bounded = Pick<Scenario['expect'][number], 'metric' | 'equals' | 'atLeast' | 'atMost'>[];
  const lists: [string, Bounded][] = [
    ['expect', s.expect],
    ['observe', s.observe],
    ...(s.variants ?? []).flatMap((v, i): [string, Bounded][] => [
      [`variants.${i}.expect`, v.expect],
      [`variants.${i}.observe`, v.observe],
    ]),
  ];
  for (const [at, list] of lists) {
    for (const [i, e] of list.entries()) {
      const metric = e.metric;
      if (!isKnownMetric(metric)) {
        const guess = closest(metric, new Set(METRIC_NAMES));
        const expected = `a metric of docs/reference.md${guess ? ` (did you mean "${guess}"?)` : ''}`;
        return fail(
          new LabError('LAB_ERR_SCENARIO_INVALID', `${file}: ${at}.${i}.metric: expected ${expected}, found ${JSON.stringify(metric)}`, {
            file,
            path: `${at}.${i}.metric`,
            expected,
            found: metric,
          }),
        );
      }
      for (const op of ['equals', 'atLeast', 'atMost'] as const) {
        const bound = e[op];
        if (bound === undefined) continue;
        const r = resolveExpected(bound, s);
        if ('error' in r) {
          return fail(
            new LabError('LAB_ERR_SCENARIO_INVALID', `${file}: ${at}.${i}.${op}: ${r.error}`, {
              file,
              path: `${at}.${i}.${op}`,
              expected: 'a number, a duration or a scenario field',
            }),
          );
        }
      }
    }
  }
  return ok(s);
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    // Not there (or unreadable): the caller tries the next folder or reports the names it knows.
    return false;
  }
}
