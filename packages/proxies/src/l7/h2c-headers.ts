import type { OutgoingHttpHeaders } from 'node:http2';

/**
 * An HTTP/1.1 request head as HTTP/2 carries it (RFC 9113 §8.2, §8.3), from
 * the field list hop-by-hop.ts made for the upstream hop (every field the
 * client named in Connection, Keep-Alive, Proxy-Connection, Upgrade, TE but
 * trailers already gone; X-Forwarded-*, Via added):
 *
 * - pseudo-header fields first: `:method`, `:scheme` http, `:authority`
 *   from Host (the field itself is not sent: §8.3.1 lets an intermediary
 *   drop it once `:authority` says the same), `:path` the origin-form target;
 * - names lower-cased (§8.2.1: an upper-case name is malformed);
 * - what that list re-adds for an HTTP/1.1 hop is dropped: `Transfer-Encoding`
 *   (HTTP/2 frames the body itself), `Connection` (`te`); `TE` stays only as
 *   `trailers` (§8.2.2). node's client refuses every connection-specific field
 *   anyway (ERR_HTTP2_INVALID_CONNECTION_HEADERS);
 * - `Expect`: the proxy answered the client's 100-continue itself
 *   (framing.ts), so the body comes whatever the origin would say: not asked;
 * - repeated fields become one list (node sends a field line each), and
 *   `cookie` one value joined by `; ` (§8.2.3 allows either).
 */
const NOT_IN_H2: ReadonlySet<string> = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
  'expect',
]);

export function h2RequestHeaders(fields: readonly string[], method: string, path: string, authority: string): OutgoingHttpHeaders {
  const h: Record<string, string | string[]> = { ':method': method, ':scheme': 'http', ':authority': authority, ':path': path };
  for (let i = 0; i < fields.length; i += 2) {
    const name = (fields[i] as string).toLowerCase();
    const value = fields[i + 1] as string;
    if (NOT_IN_H2.has(name) || name.startsWith(':')) continue;
    if (name === 'te' && value.trim().toLowerCase() !== 'trailers') continue;
    const prev = h[name];
    if (prev === undefined) h[name] = value;
    else if (name === 'cookie') h[name] = `${prev as string}; ${value}`;
    else if (Array.isArray(prev)) prev.push(value);
    else h[name] = [prev, value];
  }
  return h;
}

/** An HTTP/2 response's raw field list without its pseudo-header fields (`:status`): what the HTTP/1.1 hop carries. */
export function withoutPseudo(raw: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (!name.startsWith(':')) out.push(name, raw[i + 1] as string);
  }
  return out;
}
