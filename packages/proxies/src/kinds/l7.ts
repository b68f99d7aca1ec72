import { L7_DEFAULTS, type L7ProxyOptions } from '../l7/options.js';
import type { ProxyComponent } from './component.js';
import { l7Knobs } from './l7-knobs.js';
import { labEngine } from './lab-engine.js';

/** The lab's L7 proxy on node:http, the teaching engine: pools upstream connections, balances per request, retries stale GETs. */
export const l7: ProxyComponent = {
  kind: 'l7',
  role: 'proxy',
  layer: 'l7',
  summary: "the lab's HTTP proxy on node:http: pooled upstream keep-alive, per-request balance, stale-GET retry",
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
    const { createL7Proxy } = await import('../l7/index.js');
    return createL7Proxy({ ...common, ...(knobs as Partial<L7ProxyOptions>) });
  },
};
