import { keepAliveTimeoutSeconds } from './keep-alive-hint.js';

/**
 * Hop-by-hop fields (RFC 9110 §7.6.1), both directions. What a proxy copies
 * blindly is what lets a client's `Connection: close` close a pooled upstream
 * socket, or an origin's close the client's: so every field named in
 * `Connection` goes, then `Connection`, `Keep-Alive`, `Proxy-Connection`,
 * `Upgrade`, `Transfer-Encoding` as received, and `TE` except `trailers`.
 * Node's http writer then adds the framing and connection fields of each hop
 * itself.
 *
 * Hot path: one pass over rawHeaders; a name is lowercased only when its
 * length matches a field we care about (undici's trick), and the second pass
 * for Connection-listed names runs only when `Connection` lists one.
 */

/** Names a `Connection` option may not remove: they frame or route the message. */
const PROTECTED = new Set(['host', 'content-length', 'transfer-encoding']);

interface Scan {
  /** Lowercased options of `Connection` other than close / keep-alive. */
  listed: string[] | null;
  close: boolean;
  keepAlive: string | null;
  trailers: boolean;
  chunked: boolean;
  contentLength: boolean;
  forwardedFor: string | null;
}

/** Classifies a field name; returns its lowercased form only for names we act on. */
function special(name: string): string | null {
  switch (name.length) {
    case 2: // te
    case 7: // upgrade
    case 10: // connection, keep-alive
    case 14: // content-length
    case 15: // x-forwarded-for
    case 16: // proxy-connection, x-forwarded-host
    case 17: // transfer-encoding, x-forwarded-proto
      return name.toLowerCase();
    default:
      return null;
  }
}

function tokens(value: string): string[] {
  return value
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t !== '');
}

/** Copies end-to-end fields of `raw` into `out`, noting what the hop-by-hop ones said. */
function scan(raw: string[], out: string[], forRequest: boolean): Scan {
  const s: Scan = {
    listed: null,
    close: false,
    keepAlive: null,
    trailers: false,
    chunked: false,
    contentLength: false,
    forwardedFor: null,
  };
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    const lower = special(name);
    if (lower !== null) {
      if (lower === 'connection') {
        // Fast path for the two values nearly every message carries; anything else is tokenised.
        const v = value.length <= 10 ? value.toLowerCase() : '';
        if (v === 'keep-alive') continue;
        if (v === 'close') {
          s.close = true;
          continue;
        }
        for (const t of tokens(value)) {
          if (t === 'close') s.close = true;
          else if (t !== 'keep-alive' && !PROTECTED.has(t)) (s.listed ??= []).push(t);
        }
        continue;
      }
      if (lower === 'keep-alive') {
        s.keepAlive = value;
        continue;
      }
      if (lower === 'transfer-encoding') {
        s.chunked = true; // framing validated before we get here: its last coding is chunked
        continue;
      }
      if (lower === 'te') {
        if (tokens(value).some((t) => t === 'trailers' || t.startsWith('trailers;'))) s.trailers = true;
        continue;
      }
      if (lower === 'upgrade' || lower === 'proxy-connection') continue;
      if (forRequest) {
        if (lower === 'x-forwarded-for') {
          s.forwardedFor = s.forwardedFor === null ? value : `${s.forwardedFor}, ${value}`;
          continue;
        }
        // We know the truth about these two; a client's own values are not trusted.
        if (lower === 'x-forwarded-proto' || lower === 'x-forwarded-host') continue;
      }
      if (lower === 'content-length') s.contentLength = true;
    }
    out.push(name, value);
  }
  return s;
}

/** Removes the fields named by `Connection` options (second pass, rare). */
function dropListed(out: string[], listed: string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < out.length; i += 2) {
    const name = out[i] as string;
    if (!listed.includes(name.toLowerCase())) kept.push(name, out[i + 1] as string);
  }
  return kept;
}

export interface RequestHeadInput {
  rawHeaders: string[];
  /** The client's address, appended to X-Forwarded-For. */
  clientIp: string;
  /** The request's Host, or null (HTTP/1.0 may omit it). */
  host: string | null;
  /** Used when the client sent no Host (HTTP/1.0): the target's host:port. */
  targetHost: string;
  /** `1.1 <name>`: this proxy's Via entry. */
  via: string;
}

/**
 * The field list to send upstream. A chunked request body stays chunked (an
 * explicit `Transfer-Encoding: chunked`, so node frames even a GET body: without
 * it node would write a GET body raw, unframed, and the origin would read it as
 * the next request).
 */
export function upstreamRequestHeaders(input: RequestHeadInput): string[] {
  let out: string[] = [];
  const s = scan(input.rawHeaders, out, true);
  if (s.listed !== null) out = dropListed(out, s.listed);
  if (input.host === null) out.push('Host', input.targetHost);
  if (s.chunked) out.push('Transfer-Encoding', 'chunked');
  if (s.trailers) out.push('TE', 'trailers', 'Connection', 'te');
  out.push('X-Forwarded-For', s.forwardedFor === null ? input.clientIp : `${s.forwardedFor}, ${input.clientIp}`);
  out.push('X-Forwarded-Proto', 'http');
  if (input.host !== null) out.push('X-Forwarded-Host', input.host);
  out.push('Via', input.via);
  return out;
}

export interface ResponseHead {
  headers: string[];
  /** The origin's `Keep-Alive: timeout=N` in seconds, or null. */
  keepAliveSeconds: number | null;
  /** The origin said `Connection: close`: its socket will not be reused. */
  close: boolean;
  /** The origin's message was chunked (any Content-Length has been dropped from `headers`). */
  chunked: boolean;
  /** `headers` carries the origin's Content-Length (so it frames the body). */
  contentLength: boolean;
}

/**
 * The field list to send the client. A response with Transfer-Encoding loses
 * any Content-Length too (RFC 9112 §6.3: Transfer-Encoding overrides it, and a
 * proxy must not forward both); node re-frames the body for the client's hop.
 */
export function clientResponseHeaders(rawHeaders: string[], via: string): ResponseHead {
  let out: string[] = [];
  const s = scan(rawHeaders, out, false);
  if (s.listed !== null) out = dropListed(out, s.listed);
  if (s.chunked && s.contentLength) out = dropListed(out, ['content-length']);
  out.push('Via', via);
  return {
    headers: out,
    keepAliveSeconds: s.keepAlive === null ? null : keepAliveTimeoutSeconds(s.keepAlive),
    close: s.close,
    chunked: s.chunked,
    contentLength: s.contentLength && !s.chunked,
  };
}

/**
 * What the client hop gets of an origin's interim (1xx) response, RFC 9110
 * §15.2: a proxy MUST forward 1xx responses, so every one is forwarded ahead
 * of the final response, stripped of hop-by-hop fields and with our Via, as
 * a final response is; except
 * - to an HTTP/1.0 client: none (a server MUST NOT send it a 1xx);
 * - the origin's `100 Continue` when the proxy already sent the client its
 *   own (it answers a 100-continue expectation itself, framing.ts): the
 *   client has its 100, a second says nothing;
 * - 101, never here: the proxy forwards no Upgrade (its Connection token and
 *   field are stripped), so an origin that switches protocols did so unasked
 *   (§7.8): the engines fail that exchange with UNASKED_SWITCH, a 502.
 * Returns the whole interim message (latin1), or null to drop it. Its
 * Content-Length or Transfer-Encoding, meaningless on a 1xx, are dropped.
 */
export function interimResponse(
  status: number,
  message: string,
  rawHeaders: string[],
  via: string,
  to: { http10: boolean; sentContinue: boolean },
): string | null {
  if (to.http10 || status === 101 || (status === 100 && to.sentContinue)) return null;
  let out: string[] = [];
  const s = scan(rawHeaders, out, false);
  if (s.listed !== null) out = dropListed(out, s.listed);
  if (s.contentLength) out = dropListed(out, ['content-length']);
  let head = `HTTP/1.1 ${status} ${message}\r\n`;
  for (let i = 0; i < out.length; i += 2) head += `${out[i] as string}: ${out[i + 1] as string}\r\n`;
  return `${head}Via: ${via}\r\n\r\n`;
}

/** Why an exchange failed when the origin answered 101 to a request that asked for no upgrade (both engines: 502, socket dropped). */
export const UNASKED_SWITCH = 'HPE_UNEXPECTED_101';
