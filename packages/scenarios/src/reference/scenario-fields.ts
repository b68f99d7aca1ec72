import { z, type ZodTypeAny } from 'zod';
import { durationField } from '@keepalive-lab/core';
import { scenarioSchema } from '../schema.js';
import { readFieldDoc } from './field-doc.js';

/**
 * The scenario fields table of docs/reference.md, walked off the zod schema:
 * type, default and unit from the field's zod type, meaning, example and a
 * count's unit from its description (field-doc.ts). A leaf gets a row; an
 * object or a list gets one when it is described (`origins`, `expect`), and
 * a list of objects documented at another path says so (`variants.N.expect`:
 * "as `expect`") instead of repeating them.
 */

export interface FieldRow {
  path: string;
  type: string;
  default: string;
  unit: string;
  meaning: string;
  example: string;
}

const NONE = '–';
const DURATION_UNIT = 'ms, s or m';

/** durationField, or a copy of it: `.describe()` clones a zod type, keeping its transform. */
const isDuration = (t: ZodTypeAny): boolean => t instanceof z.ZodEffects && t._def.effect === durationField._def.effect;

/** What the wrappers around a field say: its default, whether it may be left out, its description. */
interface Unwrapped {
  core: ZodTypeAny;
  default: unknown;
  hasDefault: boolean;
  optional: boolean;
  description: string | undefined;
}

function unwrap(schema: ZodTypeAny): Unwrapped {
  const out: Unwrapped = { core: schema, default: undefined, hasDefault: false, optional: false, description: undefined };
  for (let t = schema; ; ) {
    out.description ??= t.description;
    out.core = t;
    if (t instanceof z.ZodDefault) {
      if (!out.hasDefault) out.default = t._def.defaultValue();
      out.hasDefault = true;
      t = t._def.innerType;
    } else if (t instanceof z.ZodOptional) {
      out.optional = true;
      t = t._def.innerType;
    } else if (t instanceof z.ZodEffects && !isDuration(t)) {
      t = t.innerType(); // a refine: the shape is inside
    } else {
      return out;
    }
  }
}

/** A default as it would be written in a scenario file. */
function yamlValue(v: unknown): string {
  if (typeof v === 'string') return v === '' ? "''" : v;
  if (Array.isArray(v)) return `[${v.map(yamlValue).join(', ')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v).map(([k, x]) => `${k}: ${yamlValue(x)}`);
    return entries.length === 0 ? '{}' : `{ ${entries.join(', ')} }`;
  }
  return String(v);
}

function numberType(t: z.ZodNumber): string {
  const kind = t._def.checks.some((c) => c.kind === 'int') ? 'whole number' : 'number';
  const { minValue: min, maxValue: max } = t;
  if (min !== null && max !== null) return `${kind}, ${min}–${max}`;
  return min !== null ? `${kind} ≥ ${min}` : max !== null ? `${kind} ≤ ${max}` : kind;
}

function stringType(t: z.ZodString): string {
  const rules = t._def.checks.flatMap((c) =>
    c.kind === 'regex' && c.message ? [c.message] : c.kind === 'startsWith' ? [`starting with ${c.value}`] : [],
  );
  return rules.length === 0 ? 'string' : `string: ${rules.join(', ')}`;
}

/** The type of a field that gets no rows of its own inside (scalars, tuples, maps, the proxy block). */
function leafType(t: ZodTypeAny): string {
  if (isDuration(t)) return 'duration';
  if (t instanceof z.ZodNumber) return numberType(t);
  if (t instanceof z.ZodString) return stringType(t);
  if (t instanceof z.ZodBoolean) return 'boolean';
  if (t instanceof z.ZodEnum) return (t.options as string[]).map((o) => `\`${o}\``).join(' or ');
  if (t instanceof z.ZodTuple) {
    const types = (t.items as ZodTypeAny[]).map((i) => leafType(unwrap(i).core));
    return new Set(types).size === 1 ? `${types.length} × ${types[0]}` : `[${types.join(', ')}]`;
  }
  if (t instanceof z.ZodRecord) return 'map: field path → value';
  if (t instanceof z.ZodDiscriminatedUnion) return `object: \`${t.discriminator}\` and that kind's knobs`;
  if (t instanceof z.ZodUnion) return (t.options as ZodTypeAny[]).map((o) => leafType(unwrap(o).core)).join(' or ');
  if (t instanceof z.ZodArray) return `list of ${leafType(unwrap(t.element).core)}s`;
  throw new Error(`scenario-fields: no type name for ${t.constructor.name}`);
}

/** Every documented field of the scenario schema, in schema order. */
export function scenarioFieldRows(): FieldRow[] {
  const rows: FieldRow[] = [];
  // A shape met again (the expect of a variant) points at where it was documented first.
  const documentedAt = new Map<ZodTypeAny, string>();

  const row = (path: string, u: Unwrapped, type: string) => {
    const doc = readFieldDoc(u.description);
    const unit = isDuration(u.core) ? DURATION_UNIT : (doc.unit ?? NONE);
    const dflt = u.hasDefault ? `\`${yamlValue(u.default)}\`` : u.optional ? NONE : 'required';
    rows.push({ path, type, default: dflt, unit, meaning: doc.meaning ?? NONE, example: doc.example ?? NONE });
  };

  const walk = (schema: ZodTypeAny, path: string) => {
    const u = unwrap(schema);
    const t = u.core;
    if (t instanceof z.ZodObject) {
      if (u.description !== undefined) row(path, u, 'object');
      for (const [key, field] of Object.entries(t.shape as Record<string, ZodTypeAny>)) walk(field, path === '' ? key : `${path}.${key}`);
      return;
    }
    if (t instanceof z.ZodArray) {
      const element = unwrap(t.element).core;
      if (!(element instanceof z.ZodObject) && !(element instanceof z.ZodDiscriminatedUnion)) return row(path, u, leafType(t));
      const first = documentedAt.get(element);
      const noun = element instanceof z.ZodObject ? 'objects' : 'proxy blocks';
      row(path, u, first === undefined ? `list of ${noun}` : `list of ${noun}, as \`${first}\``);
      if (first !== undefined || element instanceof z.ZodDiscriminatedUnion) return;
      documentedAt.set(element, path);
      walk(t.element, `${path}.N`);
      return;
    }
    if (t instanceof z.ZodDiscriminatedUnion) documentedAt.set(t, path);
    row(path, u, leafType(t));
  };

  walk(scenarioSchema, '');
  return rows;
}

const cell = (s: string): string => s.replace(/\|/g, '\\|');
const code = (s: string): string => (s === NONE ? s : `\`${s}\``);

export function scenarioFieldsTable(): string {
  const rows = scenarioFieldRows().map(
    (r) => `| \`${r.path}\` | ${cell(r.type)} | ${cell(r.default)} | ${cell(r.unit)} | ${cell(r.meaning)} | ${cell(code(r.example))} |`,
  );
  return ['| field | type | default | unit | meaning | example |', '| --- | --- | --- | --- | --- | --- |', ...rows].join('\n');
}
