import { parse as parseYamlValue } from 'yaml';
import { LabError, fail, ok, type Result } from '@keepalive-lab/core';

/** One `--set path=value`: the value is read as YAML (`5`, `true`, `2s`, `[a, b]`). */
export interface Override {
  path: string[];
  value: unknown;
  /** As the user typed it, for error messages. */
  text: string;
}

export function parseOverride(text: string): Result<Override, LabError> {
  const eq = text.indexOf('=');
  const rawPath = eq > 0 ? text.slice(0, eq).trim() : '';
  if (eq <= 0 || !/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(rawPath)) {
    return fail(
      new LabError('LAB_ERR_BAD_OVERRIDE', `--set ${text}: expected path=value, e.g. --set origins.0.keepAliveTimeout=5s`, {
        path: '--set',
        expected: 'path=value',
        found: text,
      }),
    );
  }
  const rawValue = text.slice(eq + 1);
  let value: unknown;
  try {
    value = rawValue === '' ? '' : parseYamlValue(rawValue);
  } catch (err) {
    return fail(
      new LabError(
        'LAB_ERR_BAD_OVERRIDE',
        `--set ${text}: the value is not valid YAML`,
        { path: rawPath, found: rawValue },
        { cause: err },
      ),
    );
  }
  return ok({ path: rawPath.split('.'), value, text });
}

/**
 * Writes an override into the raw (not yet validated) document, creating
 * what is missing: `origins.0.delay` works on a file that has no `origins`.
 * The schema then validates the result, so a wrong path or value is caught
 * the same way as in a file.
 */
export function applyOverride(doc: Record<string, unknown>, o: Override): Result<void, LabError> {
  let node: unknown = doc;
  for (let i = 0; i < o.path.length; i++) {
    const key = o.path[i] as string;
    const last = i === o.path.length - 1;
    const nextIsIndex = !last && /^\d+$/.test(o.path[i + 1] as string);
    if (Array.isArray(node)) {
      const idx = Number(key);
      // An index past the end would add an element of defaults the file never had (a second origin named like the first).
      const max = Math.max(0, node.length - 1);
      if (!/^\d+$/.test(key) || (idx > max && !(node.length === 0 && idx === 0))) {
        return fail(
          new LabError(
            'LAB_ERR_BAD_OVERRIDE',
            `--set ${o.text}: ${o.path.slice(0, i).join('.')} ` +
              `${node.length === 0 ? 'is not in the file (its default has one element)' : `is a list of ${node.length}`}; ` +
              `expected an index from 0 to ${max}`,
            {
              path: o.path.join('.'),
            },
          ),
        );
      }
      if (last) node[idx] = o.value;
      else node = node[idx] ??= nextIsIndex ? [] : {};
    } else if (node !== null && typeof node === 'object') {
      const obj = node as Record<string, unknown>;
      if (last) obj[key] = o.value;
      else node = obj[key] ??= nextIsIndex ? [] : {};
    } else {
      return fail(
        new LabError(
          'LAB_ERR_BAD_OVERRIDE',
          `--set ${o.text}: ${o.path.slice(0, i).join('.')} is a ${typeof node}, not an object or list`,
          {
            path: o.path.join('.'),
          },
        ),
      );
    }
  }
  return ok(undefined);
}
