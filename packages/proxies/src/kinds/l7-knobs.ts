import { z } from 'zod';
import { countField, durationField } from '@keepalive-lab/core';
import { BALANCE_MODES, L7_DEFAULTS, L7_FAST_NO_H2C, UPSTREAM_PROTOCOLS, type L7ProxyOptions } from '../l7-kit/options.js';
import type { LabProxy, ProxyComponent } from './component.js';
import { labEngine } from './lab-engine.js';

/**
 * The knobs a scenario may set on either L7 engine; absent ones take
 * L7_DEFAULTS (l7-kit/options.ts). `lab proxy l7` has a few more (client-side
 * timeouts, header limits) as flags of its own. `upstreamProtocol` differs
 * per engine (l7Knobs, l7FastKnobs below).
 */
const sharedL7Knobs = {
  balance: z.enum(BALANCE_MODES).optional().describe('per-request balancing across origins'),
  maxSockets: countField(1).optional().describe('upstream sockets per origin, busy and idle (HTTP/1.1 only)'),
  maxIdleSockets: countField(0).optional().describe('idle upstream sockets kept per origin (HTTP/1.1 only)'),
  poolIdleTimeout: durationField.optional().describe('close a pooled socket idle this long (h2c: a session with no stream open this long)'),
  keepAliveHint: z.boolean().optional().describe("honour the origin's Keep-Alive: timeout=N (HTTP/1.1 only)"),
  keepAliveHintMargin: durationField.optional().describe("expire a pooled socket this long before the origin's hint (HTTP/1.1 only)"),
  retryStale: z
    .boolean()
    .optional()
    .describe('retry an idempotent request once on a fresh socket (h2c: one refused by GOAWAY, on a new session)'),
  upstreamTimeout: durationField.optional().describe('504 when the origin is silent this long'),
  headerTimeout: durationField.optional().describe('408 when a request head takes longer'),
};

/** l7's knobs: the shared ones, and the upstream protocol (HTTP/1.1 pool or one h2c session per origin). */
export const l7Knobs = {
  ...sharedL7Knobs,
  upstreamProtocol: z
    .enum(UPSTREAM_PROTOCOLS)
    .optional()
    .describe(
      'http/1.1 (a keep-alive pool) or h2c (HTTP/2 cleartext, prior knowledge: one session per origin, ' +
        'a stream per request; the HTTP/1.1-only knobs are refused with it)',
    ),
};

/**
 * l7-fast's: the same, but its upstream is HTTP/1.1 only. The knob is kept
 * so a scenario switched to l7-fast (`--set proxy.kind=l7-fast`) is told why
 * h2c is refused, not that the field is unknown.
 */
export const l7FastKnobs = {
  ...sharedL7Knobs,
  upstreamProtocol: z
    .enum(UPSTREAM_PROTOCOLS)
    .optional()
    .refine((p) => p !== 'h2c', { message: L7_FAST_NO_H2C })
    .describe('http/1.1 only (h2c is refused: kind l7 speaks it)'),
};

type L7Knobs = typeof l7Knobs | typeof l7FastKnobs;

/**
 * A registry entry for one of the lab's two L7 engines: the same idle
 * timeouts and defaults; the engine (imported when a run asks for it), its
 * knobs and the words differ.
 */
export function l7Engine(
  kind: string,
  summary: string,
  knobs: L7Knobs,
  build: (options: L7ProxyOptions) => Promise<LabProxy>,
): ProxyComponent {
  return {
    kind,
    role: 'proxy',
    layer: 'l7',
    summary,
    source: 'lab',
    knobs,
    ...labEngine,
    // node:http's server closes an idle client connection 1 s after clientKeepAliveTimeout;
    // the pool drops a socket at poolIdleTimeout or before the origin's hint (l7-kit/keep-alive-hint.ts);
    // an h2c session is closed after poolIdleTimeout without a stream, and HTTP/2 has no Keep-Alive hint.
    idle: (knobs) => ({
      clientSide: L7_DEFAULTS.clientKeepAliveTimeout + 1000,
      upstream: (knobs.poolIdleTimeout as number | undefined) ?? L7_DEFAULTS.poolIdleTimeout,
      ...(knobs.keepAliveHint === false || knobs.upstreamProtocol === 'h2c'
        ? {}
        : { hintMargin: (knobs.keepAliveHintMargin as number | undefined) ?? L7_DEFAULTS.keepAliveHintMargin }),
    }),
    create: (knobs, common) => build({ ...common, ...(knobs as Partial<L7ProxyOptions>) }),
  };
}
