import { LAB_HEADERS, LabError } from '@keepalive-lab/core';

/** A header's values as the caller gives them: one line each. */
export type HeaderValues = Record<string, string | string[]>;

/**
 * Headers the client writes itself, refused from callers: framing (the body
 * sets Content-Length; Transfer-Encoding would frame it a second way),
 * connection management (keepAlive says Connection; neither engine speaks
 * Upgrade or waits for a 100 Continue), and the lab's correlation id. Host is
 * not among them: a caller's Host replaces the URL's (virtual hosts behind a
 * proxy), as curl -H and wrk -H do.
 */
const CLIENT_OWNED: Record<string, string> = {
  'content-length': 'set from the body',
  'transfer-encoding': 'the client frames every body with Content-Length',
  connection: 'set by keepAlive (--keep-alive / --no-keep-alive)',
  expect: 'neither engine waits for a 100 Continue',
  upgrade: 'the client speaks HTTP/1.1 only',
  [LAB_HEADERS.requestId]: "the lab's per-request id, which joins the client's records to the origin's",
};

/** RFC 9110 §5.1 token: what a field name may be. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** What node refuses in a field value (CR, LF, NUL and other controls, anything beyond latin1): the fast engine writes latin1. */
const BAD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

const refuse = (option: string, expected: string, found: string): LabError =>
  new LabError('LAB_ERR_USAGE', `${option}: expected ${expected}, found ${JSON.stringify(found)}`, {
    path: option,
    expected,
    found: JSON.stringify(found),
  });

/** Why this name and value cannot be sent, or null. */
function headerProblem(name: string, value: string): string | null {
  if (!TOKEN.test(name)) return "a header name made of letters, digits and !#$%&'*+-.^_`|~ (no spaces)";
  const owned = CLIENT_OWNED[name.toLowerCase()];
  if (owned !== undefined) return `a header the client does not write itself (${name} is ${owned})`;
  if (BAD_VALUE.test(value)) return 'a header value without line breaks or control characters';
  return null;
}

/** `Name: value` (curl's and wrk's -H) → [name, value], the value trimmed; a LabError naming `option` otherwise. */
export function parseHeaderLine(line: string, option: string): [string, string] {
  const colon = line.indexOf(':');
  if (colon <= 0) throw refuse(option, '"Name: value"', line);
  const name = line.slice(0, colon).trim();
  const value = line.slice(colon + 1).trim();
  const problem = headerProblem(name, value);
  if (problem !== null) throw refuse(option, problem, line);
  return [name, value];
}

/**
 * Checks the caller's headers and groups a name given twice (in any case)
 * under its first spelling, one line per value, as node sends an array.
 * `host`: the Host value when the caller gave one (once: two Host lines
 * make a request every server must refuse).
 */
export function resolveHeaders(given: HeaderValues | undefined, option: string): { headers: HeaderValues; host: string | null } {
  const byLower = new Map<string, { name: string; values: string[] }>();
  for (const [name, raw] of Object.entries(given ?? {})) {
    const values = Array.isArray(raw) ? raw : [raw];
    for (const v of values) {
      if (typeof v !== 'string') throw refuse(`${option}.${name}`, 'a string or a list of strings', String(v));
      const problem = headerProblem(name, v);
      if (problem !== null) throw refuse(`${option}.${name}`, problem, v);
    }
    const entry = byLower.get(name.toLowerCase());
    if (entry === undefined) byLower.set(name.toLowerCase(), { name, values: [...values] });
    else entry.values.push(...values);
  }
  const host = byLower.get('host');
  if (host !== undefined && host.values.length !== 1) throw refuse(`${option}.host`, 'one Host header', host.values.join(', '));
  const headers: HeaderValues = {};
  for (const { name, values } of byLower.values()) headers[name] = values.length === 1 ? (values[0] ?? '') : values;
  return { headers, host: host?.values[0] ?? null };
}
