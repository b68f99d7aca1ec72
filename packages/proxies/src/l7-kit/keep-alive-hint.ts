import type { CloseReason } from '@keepalive-lab/core';

/**
 * The origin's `Keep-Alive: timeout=N` (RFC 9112 leaves it informative; node's
 * server sends it): how long the origin means to keep an idle connection. A
 * pooled socket kept as long would race the origin's close (nodejs/node#47130),
 * so the pool drops it `keepAliveHintMargin` ms earlier, as node's Agent and
 * undici do. Both L7 engines read the hint here and the pool decides here, so
 * the two cannot drift.
 */

const TIMEOUT_PARAM = /(?:^|[,;\s])timeout\s*=\s*(\d+)/i;

/** `timeout=N` of a Keep-Alive field value, in seconds; null when the value has none. */
export function keepAliveTimeoutSeconds(value: string): number | null {
  const m = TIMEOUT_PARAM.exec(value);
  return m ? Number(m[1]) : null;
}

export interface HintSettings {
  /** Honour the hint at all (off: only the pool's own idle timeout counts). */
  keepAliveHint: boolean;
  /** ms before the hinted timeout at which the socket is dropped. */
  keepAliveHintMargin: number;
  /** ms the pool keeps an idle socket whatever the origin says. */
  poolIdleTimeout: number;
}

/** How long a released socket may stay pooled, and the close reason once that runs out. */
export interface IdleAllowance {
  /** ms; 0 or less: drop the socket now, it is not pooled at all. */
  ms: number;
  reason: Extract<CloseReason, 'keep-alive-hint' | 'pool-idle-timeout'>;
}

/** The hint less the margin, capped by the pool's own idle timeout; `hintSeconds` is the origin's last hint on that socket. */
export function idleAllowance(hintSeconds: number | null, s: HintSettings): IdleAllowance {
  if (!s.keepAliveHint || hintSeconds === null) return { ms: s.poolIdleTimeout, reason: 'pool-idle-timeout' };
  const hinted = hintSeconds * 1000 - s.keepAliveHintMargin;
  return hinted < s.poolIdleTimeout ? { ms: hinted, reason: 'keep-alive-hint' } : { ms: s.poolIdleTimeout, reason: 'pool-idle-timeout' };
}
