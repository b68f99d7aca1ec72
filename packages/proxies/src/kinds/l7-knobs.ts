import { z } from 'zod';
import { countField, durationField } from '@keepalive-lab/core';

/**
 * The knobs a scenario may set on either L7 engine; absent ones take
 * L7_DEFAULTS (l7/options.ts). `lab proxy l7` has a few more (client-side
 * timeouts, header limits) as flags of its own.
 */
export const l7Knobs = {
  balance: z.enum(['rr', 'least', 'sticky']).optional().describe('per-request balancing across origins'),
  maxSockets: countField(1).optional().describe('upstream sockets per origin, busy and idle'),
  maxIdleSockets: countField(0).optional().describe('idle upstream sockets kept per origin'),
  poolIdleTimeout: durationField.optional().describe('close a pooled socket idle this long'),
  keepAliveHint: z.boolean().optional().describe("honour the origin's Keep-Alive: timeout=N"),
  keepAliveHintMargin: durationField.optional().describe("expire a pooled socket this long before the origin's hint"),
  retryStale: z.boolean().optional().describe('retry an idempotent request once on a fresh socket'),
  upstreamTimeout: durationField.optional().describe('504 when the origin is silent this long'),
  headerTimeout: durationField.optional().describe('408 when a request head takes longer'),
};
