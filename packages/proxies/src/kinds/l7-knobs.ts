import { z } from 'zod';
import { countField, durationField } from '@keepalive-lab/core';
import { BALANCE_MODES, L7_DEFAULTS, type L7ProxyOptions } from '../l7-kit/options.js';
import type { LabProxy, ProxyComponent } from './component.js';
import { labEngine } from './lab-engine.js';

/**
 * The knobs a scenario may set on either L7 engine; absent ones take
 * L7_DEFAULTS (l7-kit/options.ts). `lab proxy l7` has a few more (client-side
 * timeouts, header limits) as flags of its own.
 */
export const l7Knobs = {
  balance: z.enum(BALANCE_MODES).optional().describe('per-request balancing across origins'),
  maxSockets: countField(1).optional().describe('upstream sockets per origin, busy and idle'),
  maxIdleSockets: countField(0).optional().describe('idle upstream sockets kept per origin'),
  poolIdleTimeout: durationField.optional().describe('close a pooled socket idle this long'),
  keepAliveHint: z.boolean().optional().describe("honour the origin's Keep-Alive: timeout=N"),
  keepAliveHintMargin: durationField.optional().describe("expire a pooled socket this long before the origin's hint"),
  retryStale: z.boolean().optional().describe('retry an idempotent request once on a fresh socket'),
  upstreamTimeout: durationField.optional().describe('504 when the origin is silent this long'),
  headerTimeout: durationField.optional().describe('408 when a request head takes longer'),
};

/**
 * A registry entry for one of the lab's two L7 engines: the same knobs, idle
 * timeouts and defaults; only the engine (imported when a run asks for it)
 * and the words differ.
 */
export function l7Engine(kind: string, summary: string, build: (options: L7ProxyOptions) => Promise<LabProxy>): ProxyComponent {
  return {
    kind,
    role: 'proxy',
    layer: 'l7',
    summary,
    source: 'lab',
    knobs: l7Knobs,
    ...labEngine,
    // node:http's server closes an idle client connection 1 s after clientKeepAliveTimeout;
    // the pool drops a socket at poolIdleTimeout or before the origin's hint (l7-kit/keep-alive-hint.ts).
    idle: (knobs) => ({
      clientSide: L7_DEFAULTS.clientKeepAliveTimeout + 1000,
      upstream: (knobs.poolIdleTimeout as number | undefined) ?? L7_DEFAULTS.poolIdleTimeout,
      ...(knobs.keepAliveHint === false
        ? {}
        : { hintMargin: (knobs.keepAliveHintMargin as number | undefined) ?? L7_DEFAULTS.keepAliveHintMargin }),
    }),
    create: (knobs, common) => build({ ...common, ...(knobs as Partial<L7ProxyOptions>) }),
  };
}
