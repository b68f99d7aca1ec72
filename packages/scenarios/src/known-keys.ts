import type { ZodTypeAny } from 'zod';
import { z } from 'zod';
import { scenarioSchema } from './schema.js';

/** Every key the schema knows, for "did you mean" on a typo. */
export const knownKeys: Set<string> = collect(scenarioSchema, new Set());

function collect(schema: ZodTypeAny, into: Set<string>): Set<string> {
  if (schema instanceof z.ZodObject) {
    for (const [k, v] of Object.entries(schema.shape as Record<string, ZodTypeAny>)) {
      into.add(k);
      collect(v, into);
    }
  } else if (schema instanceof z.ZodDefault || schema instanceof z.ZodOptional) {
    collect(schema._def.innerType, into);
  } else if (schema instanceof z.ZodEffects) {
    collect(schema.innerType(), into);
  } else if (schema instanceof z.ZodArray) {
    collect(schema.element, into);
  } else if (schema instanceof z.ZodDiscriminatedUnion) {
    for (const o of schema.options as ZodTypeAny[]) collect(o, into);
  }
  return into;
}
