import { l7Engine, l7Knobs } from './l7-knobs.js';

/** The lab's L7 proxy on node:http, the teaching engine: pools upstream connections, balances per request, retries stale GETs; HTTP/1.1 or h2c upstream. */
export const l7 = l7Engine(
  'l7',
  "the lab's HTTP proxy on node:http: pooled upstream keep-alive (or one h2c session per origin), per-request balance, stale-GET retry",
  l7Knobs,
  async (options) => {
    const { createL7Proxy } = await import('../l7/index.js');
    return createL7Proxy(options);
  },
);
