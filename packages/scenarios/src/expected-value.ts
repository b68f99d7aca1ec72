import { parseDuration } from '@keepalive-lab/core';

/**
 * An expectation's bound: a number, a duration (`2s`), or a small formula over
 * the scenario's own fields, so a check follows the experiment when `--set`
 * changes it: `origins.0.keepAliveTimeout`, `client.requests / client.maxSockets`.
 * `+ - * /` only: enough to say what the blog's numbers are made of.
 */
export type ExpectedValue = number | string;

const TERM = /^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z0-9]+)*$/;

/** The bound in numbers, or why it cannot be computed. `*` and `/` bind tighter than `+` and `-`. */
export function resolveExpected(value: ExpectedValue, scenario: unknown): { value: number } | { error: string } {
  if (typeof value === 'number') return { value };
  const parts = value.trim().split(/\s*([+\-*/])\s*/);
  if (parts.length % 2 === 0 || parts.some((p) => p === ''))
    return {
      error: `expected a number, a duration or a formula like "client.requests / client.maxSockets", found ${JSON.stringify(value)}`,
    };
  // Terms at even indexes, operators at odd ones.
  const sums: number[] = [];
  const signs: number[] = [1];
  let acc: number | null = null;
  for (let i = 0; i < parts.length; i += 2) {
    const t = term(parts[i] ?? '', scenario);
    if ('error' in t) return t;
    const op = parts[i - 1];
    if (acc === null) acc = t.value;
    else if (op === '*') acc *= t.value;
    else if (op === '/') {
      if (t.value === 0) return { error: `${value}: division by zero` };
      acc /= t.value;
    } else {
      sums.push(acc);
      signs.push(op === '-' ? -1 : 1);
      acc = t.value;
    }
  }
  sums.push(acc ?? 0);
  return { value: sums.reduce((total, v, i) => total + (signs[i] ?? 1) * v, 0) };
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
