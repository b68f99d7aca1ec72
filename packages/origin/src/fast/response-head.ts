import type { ResolvedOriginOptions } from '../options.js';
import { NTH_SLOT, type HeaderPairs } from '../response.js';

/**
 * The fast engine's response heads, byte for byte what node:http writes for
 * the node engine's `writeHead(200, stamps)` + `end(body)` (checked header by
 * header in test/fast-stamps.test.ts):
 *
 *   HTTP/1.1 200 OK                      (node answers 1.1 to a 1.0 request too)
 *   x-lab-origin-nth: N                  (the stamps, in connectionHeaders' order,
 *   x-lab-origin: <name>                  content-length among them, names as given)
 *   x-lab-origin-conn: <id>
 *   content-length: <body length>
 *   x-lab-origin-port: <remote port>
 *   [connection: close]                  (keepAlive false, or the origin closing: set by the origin, lower case)
 *   Date: <IMF-fixdate>                  (node's utcDate: cached, one string per second)
 *   Connection: keep-alive               (node's own, when neither of the above and the
 *   Keep-Alive: timeout=T[, max=M]        request keeps alive, and not the last one under
 *                                         maxRequestsPerSocket; the hint only with keepAliveHint
 *                                         and keepAliveTimeout > 0: T = floor(ms / 1000))
 *   Connection: close                    (node's own otherwise)
 *
 * The Date header is kept (it is optional for an origin server with a clock,
 * RFC 9110 §6.6.1, but node always sends it and the lab compares the two
 * engines header by header); it costs one cached string per response.
 */

/** The head of one connection, nth excepted: built once at accept (connectionHeaders' pairs). */
export interface HeadParts {
  /** `HTTP/1.1 200 OK\r\n` and the nth header's name: the nth follows. */
  readonly start: string;
  /** The stamps after the nth, each with its CRLF. */
  readonly tail: string;
  /** The stamps already say `Connection: close` (keepAlive false): node adds no Connection header of its own. */
  readonly closes: boolean;
}

const START = 'HTTP/1.1 200 OK\r\n';

export function headParts(pairs: HeaderPairs): HeadParts {
  let tail = '';
  let closes = false;
  for (let i = 0; i < pairs.length; i += 2) {
    if (i === NTH_SLOT - 1) continue;
    const name = String(pairs[i]);
    const value = String(pairs[i + 1]);
    if (name.toLowerCase() === 'connection' && value.toLowerCase() === 'close') closes = true;
    tail += `${name}: ${value}\r\n`;
  }
  return { start: `${START}${String(pairs[NTH_SLOT - 1])}: `, tail, closes };
}

/** node's own Connection/Keep-Alive lines, per origin: which one a response gets is decided per response. */
export interface ConnectionLines {
  /** `Connection: keep-alive` and, when node would send it, `Keep-Alive: timeout=T[, max=M]`. */
  readonly keepAlive: string;
  readonly close: 'Connection: close\r\n';
  /** What an origin closing (close()) adds to stamps that do not close already (response.ts closingHeaders). */
  readonly closing: 'connection: close\r\n';
}

export function connectionLines(
  o: Pick<ResolvedOriginOptions, 'keepAliveTimeout' | 'keepAliveHint' | 'maxRequestsPerSocket'>,
): ConnectionLines {
  const max = o.maxRequestsPerSocket > 0 ? `, max=${o.maxRequestsPerSocket}` : '';
  const hint = o.keepAliveHint && o.keepAliveTimeout > 0 ? `Keep-Alive: timeout=${Math.floor(o.keepAliveTimeout / 1000)}${max}\r\n` : '';
  return { keepAlive: `Connection: keep-alive\r\n${hint}`, close: 'Connection: close\r\n', closing: 'connection: close\r\n' };
}

let dateSecond = -1;
let dateLine = '';

/** `Date: ...\r\n`, rebuilt when the second changes (node's utcDate caches it the same way). */
export function dateHeader(now: number): string {
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateLine = `Date: ${new Date(second * 1000).toUTCString()}\r\n`;
  }
  return dateLine;
}

/** node's answer to bytes llhttp refuses (lib/_http_server.js socketOnError): no body, no Date. */
export const BAD_REQUEST = 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n';
export const HEADER_TOO_LARGE = 'HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n';
/** node's writeContinue, for `Expect: 100-continue` (its default with no 'checkContinue' listener). */
export const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';
/** node's `writeHead(400, { Connection: 'close' }); end()` for an HTTP/1.1 request without Host: Date between the halves. */
export const NO_HOST_START = 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n';
export const NO_HOST_END = 'Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n';
/** node's `writeHead(503); end()` for a request past maxRequestsPerSocket: Date between the halves. */
export const OVER_START = 'HTTP/1.1 503 Service Unavailable\r\n';
export const OVER_END = 'Connection: close\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n';
