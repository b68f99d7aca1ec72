import { formatDuration } from '@keepalive-lab/core';
import type { Scenario } from './schema.js';

/** Node's http server closes idle sockets this long after keepAliveTimeout (HTTP_SERVER_KEEP_ALIVE_TIMEOUT_BUFFER). */
export const NODE_IDLE_CLOSE_BUFFER_MS = 1000;

/** What a user watching the progress line is waiting for, in the scenario's own terms. */
export function waitingFor(s: Scenario): string {
  const o = s.origins[0];
  if (s.proxy?.kind === 'naive-l4' && s.client.keepAlive && o) {
    const idle = formatDuration(o.keepAliveTimeout + NODE_IDLE_CLOSE_BUFFER_MS);
    return `replies are held by the naive forwarder until the origin closes its idle upstream socket (every ~${idle})`;
  }
  if (o && o.delay > 0) return `the origin answers each request after ${formatDuration(o.delay)}`;
  return 'responses';
}
