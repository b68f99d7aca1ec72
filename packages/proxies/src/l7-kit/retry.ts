import { UPSTREAM_TIMEOUT, type UpstreamConn } from './upstream-pool.js';

/**
 * The stale pooled socket (nodejs/node#47130): the origin closes an idle
 * keep-alive socket at the moment the proxy picks it for a request. The
 * request meets a FIN or RST before any response byte. Nothing was
 * processed, as far as the proxy can know, yet the origin may have read it:
 * RFC 9110 §9.2.2 lets a client retry only idempotent methods.
 *
 * So: retry once, on a fresh connection, when all of these hold. Anything
 * else is answered 502 (504 for a timeout), never retried. Both L7 engines
 * ask afterFailedAttempt(), with the facts measured the same way (the pool
 * says whether the socket was reused and what it read), so they cannot drift.
 * l7's h2c upstream asks too: HTTP/2 says outright that a stream was not
 * processed (`refused`), in place of the stale socket's signs.
 */

/** RFC 9110 §9.2.2. POST, PATCH, LOCK and every other method are absent on purpose. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** How a dead kept-alive socket shows itself: reset, broken pipe, or EOF ("socket hang up"). */
const STALE_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

export interface FailedAttempt {
  method: string;
  /** 1 for the first try. */
  attempt: number;
  /** The pool handed this attempt a socket that had served a request before (PoolRequest.reusedSocket). */
  reused: boolean;
  /** The socket the pool handed this attempt, or null if it never got one. */
  conn: UpstreamConn | null;
  /** The request had a body, which has been streamed and is gone. */
  hasBody: boolean;
  errorCode: string | undefined;
  /**
   * h2c only (no pooled socket): the origin refused the stream unprocessed
   * (RFC 9113 §8.7: REFUSED_STREAM, GOAWAY), the sign that replaces
   * reused / response bytes / error code. Absent on HTTP/1.1.
   */
  refused?: boolean;
}

/** Bytes the attempt's socket read since the pool handed it over: any at all means the origin began to answer. */
export function responseBytes(conn: UpstreamConn | null): number {
  return conn === null ? 0 : conn.socket.bytesRead - conn.readAtAssign;
}

export function isRetryable(f: FailedAttempt): boolean {
  if (f.attempt !== 1 || f.hasBody || !IDEMPOTENT.has(f.method)) return false;
  if (f.refused !== undefined) return f.refused;
  return f.reused && responseBytes(f.conn) === 0 && f.errorCode !== undefined && STALE_CODES.has(f.errorCode);
}

/** What an engine does with a failed attempt whose answer has not started: send it again (fresh socket), or answer. */
export type AfterFailure = { retry: true } | { retry: false; status: 502 | 504; why: string };

/** The one decision both engines take; `retryStale` off answers every failure. */
export function afterFailedAttempt(f: FailedAttempt, retryStale: boolean): AfterFailure {
  if (retryStale && isRetryable(f)) return { retry: true };
  return { retry: false, status: f.errorCode === UPSTREAM_TIMEOUT ? 504 : 502, why: f.errorCode ?? 'upstream-error' };
}
