/**
 * The stale pooled socket (nodejs/node#47130): the origin closes an idle
 * keep-alive socket at the moment the proxy picks it for a request. The
 * request meets a FIN or RST before any response byte. Nothing was
 * processed, as far as the proxy can know, yet the origin may have read it:
 * RFC 9110 §9.2.2 lets a client retry only idempotent methods.
 *
 * So: retry once, on a fresh connection, when all of these hold. Anything
 * else is answered 502 (504 for a timeout), never retried.
 */

/** RFC 9110 §9.2.2. POST, PATCH, LOCK and every other method are absent on purpose. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** How a dead kept-alive socket shows itself: reset, broken pipe, or EOF ("socket hang up"). */
const STALE_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

export interface FailedAttempt {
  method: string;
  /** 1 for the first try. */
  attempt: number;
  /** The socket had served a request before (taken from the pool). */
  reused: boolean;
  /** Bytes the upstream socket read during this attempt. */
  responseBytes: number;
  /** The request had a body, which has been streamed and is gone. */
  hasBody: boolean;
  errorCode: string | undefined;
}

export function isRetryable(f: FailedAttempt): boolean {
  return (
    f.attempt === 1 &&
    f.reused &&
    f.responseBytes === 0 &&
    !f.hasBody &&
    IDEMPOTENT.has(f.method) &&
    f.errorCode !== undefined &&
    STALE_CODES.has(f.errorCode)
  );
}
