import { access, readFile, readdir } from 'node:fs/promises';
import { basename, extname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMap, isNode, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import { LabError, fail, ok, type Result } from '@keepalive-lab/core';
import { applyOverride, parseOverride, type Override } from './overrides.js';
import { knownKeys } from './known-keys.js';
import { scenarioSchema, type Scenario, type VariantSpec } from './schema.js';
import { ScenarioProblemsError, closest, issueToProblems, problem, type ScenarioProblem } from './validation-errors.js';
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
  // Every problem at once: the file's, each --set's, each variant's (the ones it adds), in the file's order.
  const problems: ScenarioProblem[] = [];
  let withOverrides = structuredClone(raw) as Record<string, unknown>;
  for (const o of overrides) {
    const r = applied(withOverrides, o);
    // Left out, and reported: the file is still checked without it.
    if (r.ok) withOverrides = r.value;
    else problems.push(overrideProblem(file, '', o, r.error));
  }
  const parsed = validate(withOverrides, file, file, overrides);
  if (!parsed.ok) problems.push(...parsed.error);
  // Every variant must validate too, before anything runs. What the file already
  // got wrong, each variant gets wrong again: reported once.
  const seen = new Set(problems.map(problemKey));
  for (const [i, v] of variantsOf(withOverrides).entries()) {
    const r = resolveProblems({ file, raw: withOverrides, overrides }, v, null);
    if (r.ok) continue;
    for (const p of r.error) {
      if (seen.has(problemKey(p))) continue;
      seen.add(problemKey(p));
      problems.push({ ...p, at: variantAt(i, v, p) });
    }
  }
  if (!parsed.ok || problems.length > 0) return fail(new ScenarioProblemsError(file, inOrder(doc, problems, overrides)));
  return ok({ file, scenario: parsed.value, raw: withOverrides, overrides });
}

/** The runs a scenario makes: one, or one per variant. */
export function scenarioRuns(loaded: LoadedScenario): Result<ScenarioRun[], LabError> {
  const variants = loaded.scenario.variants;
  if (!variants || variants.length === 0) return ok([{ variant: null, scenario: loaded.scenario }]);
  const runs: ScenarioRun[] = [];
  for (const v of variants) {
    const r = resolveRun(loaded, v, null);
    if (!r.ok) return r;
    runs.push({ variant: v, scenario: r.value });
  }
  return ok(runs);
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

/** A variant is the scenario with its `set` applied first, then the user's `--set`; `kind`: as scenarioThrough. */
function resolveRun(loaded: LoadedScenario, v: VariantSpec | null, kind: string | null): Result<Scenario, LabError> {
  const r = resolveProblems(loaded, v, kind);
  return r.ok ? r : fail(new ScenarioProblemsError(loaded.file, r.error));
}

type Resolvable = Pick<LoadedScenario, 'file' | 'raw' | 'overrides'>;
/** What resolving a variant needs: its name and `set` (its checks are added when it resolves). */
type VariantSets = Pick<VariantSpec, 'name' | 'set'> & Partial<Pick<VariantSpec, 'expect' | 'observe'>>;

function resolveProblems(loaded: Resolvable, v: VariantSets | null, kind: string | null): Result<Scenario, ScenarioProblem[]> {
  let base = structuredClone(loaded.raw);
  delete base.variants;
  if (kind !== null) {
    delete base.proxies;
    base.proxy = { kind };
    // The teaching checks are written for the scenario's own proxy (and may name its knobs): a matrix reads observe: rows only.
    base.expect = [];
  }
  const where = v === null ? loaded.file : `${loaded.file} (variant ${v.name})`;
  const sets: Override[] = Object.entries(v?.set ?? {})
    .filter(([k]) => kind === null || (k !== 'proxy' && !k.startsWith('proxy.')))
    .map(([k, value]) => ({ path: k.split('.'), value, text: `${k}=${JSON.stringify(value)}` }));
  const problems: ScenarioProblem[] = [];
  for (const o of [...sets, ...loaded.overrides]) {
    const r = applied(base, o);
    if (r.ok) base = r.value;
    else problems.push(overrideProblem(loaded.file, v === null ? '' : ` (variant ${v.name})`, o, r.error));
  }
  const parsed = validate(base, loaded.file, where, loaded.overrides);
  if (!parsed.ok) problems.push(...parsed.error);
  if (!parsed.ok || problems.length > 0) return fail(problems);
  const expect = kind === null ? [...parsed.value.expect, ...(v?.expect ?? [])] : [];
  return ok({ ...parsed.value, expect, observe: [...parsed.value.observe, ...(v?.observe ?? [])] });
}

/** The document with `o` written in, or why it cannot be: then the document is left as it was (not half-written). */
function applied(doc: Record<string, unknown>, o: Override): Result<Record<string, unknown>, LabError> {
  const next = structuredClone(doc);
  const r = applyOverride(next, o);
  return r.ok ? ok(next) : r;
}

/** A `--set` (or a variant's `set`) that could not be written into the document: `origins.5.delay` on a list of one. */
function overrideProblem(file: string, where: string, o: Override, err: LabError): ScenarioProblem {
  return {
    code: 'LAB_ERR_BAD_OVERRIDE',
    file,
    path: o.path.join('.'),
    override: o.text,
    message: `${file}:${where} ${err.message}`,
    at: o.path,
  };
}

/** Every schema issue of the document, then (when the schema holds) every check's bound, as problems. */
function validate(raw: Record<string, unknown>, file: string, where: string, overrides: Override[]): Result<Scenario, ScenarioProblem[]> {
  const r = scenarioSchema.safeParse(raw);
  // Metric names are checked even when the schema fails elsewhere: a misspelt metric is reported with the rest.
  const metrics = unknownMetrics(raw, file, where, overrides);
  if (r.success) {
    const bounds = checkBounds(r.data, file, where);
    return metrics.length + bounds.length === 0 ? ok(r.data) : fail([...metrics, ...bounds]);
  }
  const problems = r.error.issues.flatMap((issue) => issueToProblems(issue, file, where, raw, overrides, knownKeys));
  // One problem a path: `-1.5` for a count is neither whole nor ≥ 1, and the first says enough.
  const paths = new Set<string>();
  const onePerPath = problems.filter((p) => {
    if (paths.has(p.path)) return false;
    paths.add(p.path);
    return true;
  });
  if (onePerPath.length === 0) throw new LabError('LAB_ERR_INTERNAL', `${where}: validation failed without an issue`);
  return fail([...onePerPath, ...metrics]);
}

/** The lists of checks and matrix rows a document has, with their paths: `expect`, `variants.0.observe`, ... */
function checkLists(doc: Record<string, unknown>): [string, (string | number)[], unknown][] {
  const lists: [string, (string | number)[], unknown][] = [
    ['expect', ['expect'], doc.expect],
    ['observe', ['observe'], doc.observe],
  ];
  for (const [i, v] of (Array.isArray(doc.variants) ? doc.variants : []).entries()) {
    if (v === null || typeof v !== 'object') continue;
    const variant = v as Record<string, unknown>;
    lists.push([`variants.${i}.expect`, ['variants', i, 'expect'], variant.expect]);
    lists.push([`variants.${i}.observe`, ['variants', i, 'observe'], variant.observe]);
  }
  return lists;
}

/** Every checked or observed metric must be in the catalogue, read off the document as it is (valid or not). */
function unknownMetrics(raw: Record<string, unknown>, file: string, where: string, overrides: Override[]): ScenarioProblem[] {
  const problems: ScenarioProblem[] = [];
  for (const [name, at, list] of checkLists(raw)) {
    if (!Array.isArray(list)) continue;
    for (const [i, e] of list.entries()) {
      const metric: unknown = e !== null && typeof e === 'object' ? (e as Record<string, unknown>).metric : undefined;
      // Not a string (or empty): the schema says so.
      if (typeof metric !== 'string' || metric === '' || isKnownMetric(metric)) continue;
      const guess = closest(metric, new Set(METRIC_NAMES));
      const expected = `a metric of docs/reference.md${guess ? ` (did you mean "${guess}"?)` : ''}`;
      problems.push(problem(file, where, `${name}.${i}.metric`, [...at, i, 'metric'], expected, JSON.stringify(metric), overrides));
    }
  }
  return problems;
}

/** Every bound must resolve against the scenario, before anything runs. */
function checkBounds(s: Scenario, file: string, where: string): ScenarioProblem[] {
  const problems: ScenarioProblem[] = [];
  for (const [name, at, list] of checkLists(s as unknown as Record<string, unknown>)) {
    type Bounded = Pick<Scenario['expect'][number], 'equals' | 'atLeast' | 'atMost'>;
    for (const [i, e] of (list as Bounded[]).entries()) {
      for (const op of ['equals', 'atLeast', 'atMost'] as const) {
        const bound = e[op];
        if (bound === undefined) continue;
        const r = resolveExpected(bound, s);
        if ('error' in r) {
          problems.push({
            code: 'LAB_ERR_SCENARIO_INVALID',
            file,
            path: `${name}.${i}.${op}`,
            expected: 'a number, a duration or a scenario field',
            message: `${where}: ${name}.${i}.${op}: ${r.error}`,
            at: [...at, i, op],
          });
        }
      }
    }
  }
  return problems;
}

/** The variants as written (before the schema): only what resolving one needs, its name and its `set`. */
function variantsOf(raw: Record<string, unknown>): VariantSets[] {
  if (!Array.isArray(raw.variants)) return [];
  return raw.variants.flatMap((v: unknown, i): VariantSets[] => {
    if (v === null || typeof v !== 'object') return [];
    const o = v as Record<string, unknown>;
    const set = o.set !== null && typeof o.set === 'object' && !Array.isArray(o.set) ? (o.set as Record<string, unknown>) : {};
    return [{ name: typeof o.name === 'string' ? o.name : String(i), set }];
  });
}

/** Where a variant's problem sits in the file: the `set` entry that caused it, else the variant. */
function variantAt(i: number, v: VariantSets, p: ScenarioProblem): (string | number)[] {
  const key = Object.keys(v.set).find((k) => p.path === k || p.path.startsWith(`${k}.`) || k.startsWith(`${p.path}.`));
  return key === undefined ? ['variants', i] : ['variants', i, 'set', key];
}

/** Same problem (a variant repeating the file's): same code, path, expectation and finding. */
const problemKey = (p: ScenarioProblem): string => JSON.stringify([p.code, p.path, p.expected, p.found, p.override]);

/**
 * The user's `--set` problems first, in the order typed (flag errors, about
 * what was just typed), then the file's in document order: a path the file
 * lacks (a missing `title`) sits where its nearest parent starts. Ties keep
 * the schema's order.
 */
function inOrder(doc: Document, problems: ScenarioProblem[], overrides: Override[]): ScenarioProblem[] {
  const typed = (p: ScenarioProblem): number => {
    const i = overrides.findIndex((o) => o.text === p.override);
    return i === -1 ? overrides.length : i;
  };
  return problems
    .map((p, i) => ({ p, i, set: typed(p), offset: offsetOf(doc, p.at) }))
    .sort((a, b) => a.set - b.set || a.offset - b.offset || a.i - b.i)
    .map(({ p }) => p);
}

function offsetOf(doc: Document, at: (string | number)[]): number {
  let node: unknown = doc.contents;
  let offset = startOf(node) ?? 0;
  for (const k of at) {
    if (isMap(node)) {
      const pair = node.items.find((item) => String(isScalar(item.key) ? item.key.value : item.key) === String(k));
      if (pair === undefined) break;
      offset = startOf(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node)) {
      const item = node.items[Number(k)];
      if (item === undefined) break;
      offset = startOf(item) ?? offset;
      node = item;
    } else break;
  }
  return offset;
}

const startOf = (n: unknown): number | undefined => (isNode(n) ? n.range?.[0] : undefined);

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    // Not there (or unreadable): the caller tries the next folder or reports the names it knows.
    return false;
  }
}
