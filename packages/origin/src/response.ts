import { LAB_HEADERS } from '@keepalive-lab/core';
import { DEFAULT_BODY } from './options.js';

/**
 * Response headers as node's flat `[name, value, ...]` array, built once per
 * connection: every value but the nth is fixed for the connection's life, so
 * the hot path writes one number into NTH_SLOT and hands the array to
 * `writeHead`, which serialises it synchronously (safe to reuse right after).
 */
export type HeaderPairs = (string | number)[];

/** Index of the `x-lab-origin-nth` value in a HeaderPairs array. */
export const NTH_SLOT = 1;

export interface ResponseTemplate {
  readonly name: string;
  /** ASCII, so its length is its byte count. A string, not a Buffer: node sends head and body in one write. */
  readonly body: string;
  readonly keepAlive: boolean;
}

export function makeBody(responseBytes: number | null): string {
  return responseBytes === null ? DEFAULT_BODY : 'x'.repeat(responseBytes);
}

export function connectionHeaders(tpl: ResponseTemplate, conn: number, remotePort: number | null): HeaderPairs {
  const h: HeaderPairs = [
    LAB_HEADERS.originNth,
    0,
    LAB_HEADERS.origin,
    tpl.name,
    LAB_HEADERS.originConn,
    String(conn),
    // Set here, else writeHead before end() would make node use chunked encoding.
    'content-length',
    String(tpl.body.length),
  ];
  // Unknown only if the peer left before 'connection' ran; never guess one.
  if (remotePort !== null) h.push(LAB_HEADERS.originPort, String(remotePort));
  // Node sees `Connection: close`, sends it and ends the socket after the response.
  if (!tpl.keepAlive) h.push('connection', 'close');
  return h;
}

/** The rare path: the origin is closing, so this response ends its connection. */
export function closingHeaders(h: HeaderPairs, tpl: ResponseTemplate): HeaderPairs {
  // With keep-alive off the connection already carries `Connection: close`.
  return tpl.keepAlive ? [...h, 'connection', 'close'] : h;
}

const REQUEST_ID = LAB_HEADERS.requestId;

/**
 * `x-lab-request-id` from the raw header list. Cheaper than `req.headers`,
 * which lower-cases and copies every header: only names of the right length
 * are lower-cased (undici's habit).
 */
/** Hop-by-hop headers whose arrival at the origin says what the proxy in front passed on (lower case). */
const HOP_NAMES = new Set(['connection', 'keep-alive', 'te', 'upgrade', 'proxy-connection', LAB_HEADERS.hop]);

/** Lengths of the names above: a header of another length is skipped without lowercasing it. */
const WANTED_LENGTHS = new Set([REQUEST_ID.length, ...[...HOP_NAMES].map((n) => n.length)]);

/** What the origin reads off a request for its events: the lab's request id and the hop-by-hop headers. */
export interface LabHeaders {
  id: string | null;
  /** Null when none came. */
  hop: Record<string, string> | null;
}

/** The request id and the hop-by-hop headers, in one scan of the raw headers (only when someone records). */
export function readLabHeaders(raw: string[]): LabHeaders {
  let id: string | null = null;
  let hop: Record<string, string> | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    const given = raw[i] ?? '';
    if (!WANTED_LENGTHS.has(given.length)) continue;
    const name = given.toLowerCase();
    if (name === REQUEST_ID) id = raw[i + 1] ?? null;
    else if (HOP_NAMES.has(name)) {
      hop ??= {};
      hop[name] = hop[name] === undefined ? (raw[i + 1] ?? '') : `${hop[name]}, ${raw[i + 1] ?? ''}`;
    }
  }
  return { id, hop };
}

/** Whether a request carries a body (HTTP/1.1: only Content-Length > 0 or Transfer-Encoding say so). */
export function declaresBody(raw: string[]): boolean {
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    if (name === undefined) continue;
    if (name.length === 14 && name.toLowerCase() === 'content-length') return Number(raw[i + 1]) > 0;
    if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') return true;
  }
  return false;
}
