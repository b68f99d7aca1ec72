import { parseDuration } from '@keepalive-lab/core';

/**
 * An expectation's bound: a number, a duration (`2s`), or a small formula over
 * the scenario's own fields, so a check follows the experiment when `--set`
 * changes it: `origins.0.keepAliveTimeout`, `client.requests / client.maxSockets`.
 * One operator at most: enough to say what the blog's numbers are made of.
 */
export type ExpectedValue = number | string;

const TERM = /^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z0-9]+)*$/;

/** The bound in numbers, or why it cannot be computed. */
export function resolveExpected(value: ExpectedValue, scenario: unknown): { value: number } | { error: string } {
  if (typeof value === 'number') return { value };
  const parts = value.split(/\s*([+\-*/])\s*/).filter((p) => p !== '');
  if (parts.length !== 1 && parts.length !== 3) return { error: `expected a number, a duration or "field [+-*/] field", found ${JSON.stringify(value)}` };
  const a = term(parts[0] ?? '', scenario);
  if ('error' in a || parts.length === 1) return a;
  const b = term(parts[2] ?? '', scenario);
  if ('error' in b) return b;
  switch (parts[1]) {
    case '+':
      return { value: a.value + b.value };
    case '-':
      return { value: a.value - b.value };
    case '*':
      return { value: a.value * b.value };
    default:
      return b.value === 0 ? { error: `${value}: division by zero` } : { value: a.value / b.value };
  }
}

function term(text: string, scenario: unknown): { value: number } | { error: string } {
  if (/^\d+(\.\d+)?$/.test(text)) return { value: Number(text) };
  const d = parseDuration(text);
  if (d.ok) return { value: d.value };
  if (!TERM.test(text)) return { error: `expected a number, a duration or a scenario field, found ${JSON.stringify(text)}` };
  let node: unknown = scenario;
  for (const k of text.split('.')) node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[k] : undefined;
  if (typeof node === 'number') return { value: node };
  if (typeof node === 'boolean') return { value: node ? 1 : 0 };
  return { error: `${text} is not a number in this scenario (found ${JSON.stringify(node) ?? 'nothing'})` };
}
