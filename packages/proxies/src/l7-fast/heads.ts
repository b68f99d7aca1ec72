import { errorAnswer, type ProxyStatus } from '../l7-kit/errors-responses.js';

/**
 * The bytes l7-fast writes itself: each message head as ONE latin1 string
 * (field values come from llhttp as latin1 strings, so bytes round-trip),
 * built from the flat field lists hop-by-hop.ts returns. What node's writer
 * adds on each hop (OutgoingMessage._storeHeader) is added here the same
 * way: `Connection: keep-alive` + `Keep-Alive: timeout=N` or
 * `Connection: close`, and `Transfer-Encoding: chunked` when a body must be
 * re-framed for an HTTP/1.1 client.
 */

/** node sends a bodiless request of these methods without a framing field; any other gets `Content-Length: 0`. */
const NO_DEFAULT_BODY = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);

/**
 * The upstream request head. `fields` is upstreamRequestHeaders' output: the
 * client's Connection fields are gone, so a `Connection` here is our own
 * (`te`, for TE: trailers) and otherwise we ask for keep-alive.
 */
export function requestHead(method: string, path: string, fields: string[], hasBody: boolean): string {
  let head = `${method} ${path} HTTP/1.1\r\n`;
  let connection = false;
  let length = hasBody;
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i] as string;
    if (name.length === 10 && name === 'Connection') connection = true;
    else if (name.length === 14 && !length && name.toLowerCase() === 'content-length') length = true;
    head += `${name}: ${fields[i + 1] as string}\r\n`;
  }
  if (!length && !NO_DEFAULT_BODY.has(method)) head += 'Content-Length: 0\r\n';
  if (!connection) head += 'Connection: keep-alive\r\n';
  return `${head}\r\n`;
}

/**
 * How the client hop's body is framed:
 * - none: no body (HEAD, 204, 304); fields as the origin sent them.
 * - length: the origin's Content-Length frames it; bytes pass through.
 * - chunked: re-chunked for an HTTP/1.1 client (the origin chunked, or ended it by closing).
 * - close: raw bytes ended by our close (an HTTP/1.0 client, and no length).
 */
export type BodyFraming = 'none' | 'length' | 'chunked' | 'close';

/** The client hop's framing for a response with this status to this method. */
export function clientFraming(method: string, status: number, contentLength: boolean, http10Client: boolean): BodyFraming {
  if (method === 'HEAD' || status === 204 || status === 304) return 'none';
  if (contentLength) return 'length';
  return http10Client ? 'close' : 'chunked';
}

/** The client response head. `connection` is the prebuilt Connection line(s) for this hop. */
export function responseHead(status: number, message: string, fields: string[], framing: BodyFraming, connection: string): string {
  let head = `HTTP/1.1 ${status} ${message}\r\n`;
  for (let i = 0; i < fields.length; i += 2) head += `${fields[i] as string}: ${fields[i + 1] as string}\r\n`;
  head += connection;
  if (framing === 'chunked') head += 'Transfer-Encoding: chunked\r\n';
  return `${head}\r\n`;
}

/** One chunk of a re-chunked body: size line; the data and its CRLF follow. */
export const chunkSize = (n: number): string => `${n.toString(16)}\r\n`;
export const CRLF = '\r\n';
export const LAST_CHUNK = '0\r\n\r\n';
export const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';

/**
 * Connection lines and the proxy's own answers for one proxy, built once:
 * with keep-alive (an answer that leaves the connection usable, 502/504)
 * and with close.
 */
export class Answers {
  /** `Connection: keep-alive` and node's `Keep-Alive: timeout=floor(ms/1000)` (none when the timeout is 0). */
  readonly keepAlive: string;
  readonly close = 'Connection: close\r\n';
  readonly #open = new Map<number, string>();
  readonly #closing = new Map<number, string>();

  constructor(clientKeepAliveTimeout: number) {
    this.keepAlive =
      clientKeepAliveTimeout > 0
        ? `Connection: keep-alive\r\nKeep-Alive: timeout=${Math.floor(clientKeepAliveTimeout / 1000)}\r\n`
        : 'Connection: keep-alive\r\n';
  }

  /** The whole response for `status`; `close` makes it the connection's last. */
  error(status: ProxyStatus, close: boolean): string {
    const cache = close ? this.#closing : this.#open;
    let s = cache.get(status);
    if (s === undefined) {
      const { text, body } = errorAnswer(status);
      const connection = close ? this.close : this.keepAlive;
      s = `HTTP/1.1 ${status} ${text}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${connection}\r\n${body}`;
      cache.set(status, s);
    }
    return s;
  }

  /** An expectation other than 100-continue (node answers 417 the same way). */
  expectationFailed(close: boolean): string {
    return `HTTP/1.1 417 Expectation Failed\r\nContent-Length: 0\r\n${close ? this.close : this.keepAlive}\r\n`;
  }
}
