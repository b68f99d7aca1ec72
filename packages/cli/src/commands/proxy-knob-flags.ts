import type { Command } from 'commander';
import { z } from 'zod';
import type { ProxyComponent } from '@keepalive-lab/proxies';
import { usageError } from '../flag-errors.js';

/**
 * `lab proxy <kind>` flags for a kind's knobs, read off the registry: knob
 * `keepaliveTimeout` is `--keepalive-timeout <value>`, `directives` is
 * `--directive <line>` (repeatable). The value goes through the knob's own
 * schema, so a flag and a scenario field accept the same things. (The lab's
 * L7 engines keep their hand-written flags: proxy-l7-options.ts.)
 */

const kebab = (knob: string): string => knob.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The flag a knob is set with: `--keepalive-timeout`; the list knob `directives` reads better singular. */
export const flagOf = (knob: string): string => (knob === 'directives' ? '--directive' : `--${kebab(knob)}`);

/** Commander's attribute name for a flag (`--config-file` → `configFile`). */
const attributeOf = (flag: string): string => flag.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

const inner = (t: z.ZodTypeAny): z.ZodTypeAny =>
  t instanceof z.ZodOptional || t instanceof z.ZodDefault ? inner(t._def.innerType as z.ZodTypeAny) : t;

/** Adds each knob's flag once, whichever kinds share it; `skip` holds flags already there (l7's). */
export function addKnobFlags(cmd: Command, kinds: readonly ProxyComponent[], skip: Set<string>): void {
  const seen = new Set(skip);
  for (const c of kinds) {
    for (const [knob, schema] of Object.entries(c.knobs)) {
      const flag = flagOf(knob);
      if (seen.has(flag)) continue;
      seen.add(flag);
      // One flag for every kind with this knob: each describes it in its own terms, so a shared flag points at the reference.
      const owners = kinds.filter((k) => knob in k.knobs).map((k) => k.kind);
      const what =
        owners.length === 1
          ? `${owners[0]}: ${schema.description ?? knob}`
          : `${owners.join(', ')}: ${knob} (each kind's meaning: docs/reference.md)`;
      if (inner(schema) instanceof z.ZodArray)
        cmd.option(`${flag} <value>`, `${what}; repeatable`, (v: string, prev: string[] = []) => [...prev, v]);
      else cmd.option(`${flag} <value>`, what);
    }
  }
}

/** The flags a kind takes besides the common ones. */
export const kindFlags = (c: ProxyComponent): string[] => Object.keys(c.knobs).map(flagOf);

/** The kind's knobs from the flags given, each through its schema; a bad value names its flag. */
export function knobsFromFlags(c: ProxyComponent, flags: Record<string, unknown>): Record<string, unknown> {
  const knobs: Record<string, unknown> = {};
  for (const [knob, schema] of Object.entries(c.knobs)) {
    const flag = flagOf(knob);
    const raw = flags[attributeOf(flag)];
    if (raw === undefined) continue;
    const t = inner(schema);
    const value =
      t instanceof z.ZodNumber && typeof raw === 'string' && /^-?\d+(\.\d+)?$/.test(raw)
        ? Number(raw)
        : t instanceof z.ZodBoolean && (raw === 'true' || raw === 'false')
          ? raw === 'true'
          : raw;
    const r = schema.safeParse(value);
    // A knob's own message may say what it found (durationField's does): the error says it once.
    if (!r.success) throw usageError(flag, (r.error.issues[0]?.message ?? 'a valid value').replace(/, found .*$/s, ''), raw);
    knobs[knob] = r.data;
  }
  return knobs;
}
