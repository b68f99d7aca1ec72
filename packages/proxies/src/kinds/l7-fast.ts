import { L7_DEFAULTS, type L7ProxyOptions } from '../l7/options.js';
import type { ProxyComponent } from './component.js';
import { l7Knobs } from './l7-knobs.js';
import { labEngine } from './lab-engine.js';

/**
 * l7's duties on node's llhttp binding directly (the speed path). Imported
 * only when a run asks for it: its binding self-check must not stand in the
 * way of every other kind on a node whose internals changed.
 */
export const l7Fast: ProxyComponent = {
  kind: 'l7-fast',
  role: 'proxy',
  layer: 'l7',
  summary: "l7's duties on node's llhttp directly, without node:http's objects (the speed path)",
  source: 'lab',
  knobs: l7Knobs,
  ...labEngine,
  // node:http's server closes an idle client connection 1 s after clientKeepAliveTimeout; the pool drops a socket at poolIdleTimeout or before the origin's hint.
  idle: (knobs) => ({
    clientSide: L7_DEFAULTS.clientKeepAliveTimeout + 1000,
    upstream: (knobs.poolIdleTimeout as number | undefined) ?? L7_DEFAULTS.poolIdleTimeout,
    ...(knobs.keepAliveHint === false ? {} : { hintMargin: (knobs.keepAliveHintMargin as number | undefined) ?? L7_DEFAULTS.keepAliveHintMargin }),
  }),
  async create(knobs, common) {
    const { createL7FastProxy } = await import('../l7-fast/index.js');
    return createL7FastProxy({ ...common, ...(knobs as Partial<L7ProxyOptions>) });
  },
};
