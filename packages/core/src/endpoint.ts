import { LabError } from './errors.js';
import { fail, ok, type Result } from './result.js';

export interface Endpoint {
  host: string;
  port: number;
}

const DEFAULT_HOST = '127.0.0.1';

/**
 * Parses `host:port`, `:port`, `port` or `[::1]:port`. Every server of the lab
 * listens on 127.0.0.1 unless told otherwise.
 */
export function parseEndpoint(input: string, what = 'address'): Result<Endpoint, LabError> {
  const text = input.trim();
  const m = /^(\d+)$/.exec(text) ?? /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d+)$/.exec(text);
  const port = m ? Number(m[m.length - 1]) : NaN;
  if (!m || !Number.isInteger(port) || port > 65535) {
    return fail(
      new LabError('LAB_ERR_BAD_ENDPOINT', `${what}: expected host:port (e.g. 127.0.0.1:8080), found ${JSON.stringify(input)}`, {
        path: what,
        expected: 'host:port',
        found: JSON.stringify(input),
      }),
    );
  }
  const host = m.length === 4 ? (m[1] ?? m[2]) : undefined;
  return ok({ host: host || DEFAULT_HOST, port });
}

/** Parses a comma-separated list of endpoints: `127.0.0.1:8081,127.0.0.1:8082`. */
export function parseEndpoints(input: string, what = 'targets'): Result<Endpoint[], LabError> {
  const out: Endpoint[] = [];
  for (const part of input.split(',').filter((p) => p.trim() !== '')) {
    const r = parseEndpoint(part, what);
    if (!r.ok) return r;
    out.push(r.value);
  }
  if (out.length === 0) {
    return fail(
      new LabError('LAB_ERR_BAD_ENDPOINT', `${what}: expected at least one host:port`, {
        path: what,
        expected: 'host:port[,host:port...]',
      }),
    );
  }
  return ok(out);
}

export const formatEndpoint = (e: Endpoint): string => (e.host.includes(':') ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`);
