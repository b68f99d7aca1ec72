import type { CloseReason } from './events.js';

/**
 * What one side saw of a connection by the time its socket closed: the only
 * input to `closeReason`. Every component (origin, L4 and L7 proxies, both
 * sides of a proxy) collects these facts and asks here, so the same peer
 * behaviour gets the same reason wherever it is seen.
 */
export interface CloseFacts {
  /**
   * A reason this side decided itself (idle-timeout, max-requests, fault,
   * server-close, connection-close, a proxy's upstream-closed/client-closed/
   * pool-*...), or null when it decided nothing.
   */
  localReason?: CloseReason | null;
  /** Code of the first socket error this side saw (ECONNRESET, EPIPE, ECONNREFUSED...), or null. */
  errorCode: string | null;
  /** The peer's FIN arrived. */
  peerEnded: boolean;
  /**
   * This side is shutting down (close() was called): names a close nothing
   * else explains `server-close` rather than `unknown`.
   */
  shuttingDown?: boolean;
}

/** Socket errors that mean the peer aborted the connection (sent RST). */
export const RESET_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE']);

/**
 * The one definition of why a connection closed. First match wins:
 *
 * 1. a reason this side decided (`localReason`);
 * 2. a reset (ECONNRESET/EPIPE), even after a FIN: `peer-reset`. The RST is
 *    the stronger fact: FIN-then-RST means the peer closed and then aborted
 *    (reset data it never read, or data we still sent);
 * 3. the peer's FIN: `peer-closed`;
 * 4. any other socket error: `error`;
 * 5. nothing seen while this side shuts down: `server-close`;
 * 6. otherwise `unknown`.
 */
export function closeReason(facts: CloseFacts): CloseReason {
  if (facts.localReason != null) return facts.localReason;
  if (facts.errorCode !== null && RESET_CODES.has(facts.errorCode)) return 'peer-reset';
  if (facts.peerEnded) return 'peer-closed';
  if (facts.errorCode !== null) return 'error';
  if (facts.shuttingDown === true) return 'server-close';
  return 'unknown';
}
