/**
 * A scenario field's documentation, kept on the schema field itself
 * (`.describe(fieldDoc(...))`) so its meaning lives in one place and
 * docs/reference.md is generated from it. Zod v3 has one description string,
 * so the parts are lines: the meaning, then `example:` and `unit:`.
 */
export interface FieldDoc {
  meaning: string;
  /** A value as written in a scenario file (YAML). */
  example: string;
  /** What a number counts (`requests`, `bytes`); durations have theirs from the type. */
  unit?: string;
}

export function fieldDoc(meaning: string, example: string, unit?: string): string {
  return [meaning, `example: ${example}`, ...(unit === undefined ? [] : [`unit: ${unit}`])].join('\n');
}

/** The parts of a description written by fieldDoc; a plain description is all meaning. */
export function readFieldDoc(description: string | undefined): Partial<FieldDoc> {
  if (description === undefined) return {};
  const [meaning = '', ...rest] = description.split('\n');
  const part = (key: string) => rest.find((l) => l.startsWith(`${key}: `))?.slice(key.length + 2);
  const example = part('example');
  const unit = part('unit');
  return { meaning, ...(example === undefined ? {} : { example }), ...(unit === undefined ? {} : { unit }) };
}
