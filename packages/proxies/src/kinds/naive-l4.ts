import type { ProxyComponent } from './component.js';
import { labEngine } from './lab-engine.js';

/** The blog's forwarder, faithfully wrong: a new upstream connection per data chunk, the reply released on upstream EOF. */
export const naiveL4: ProxyComponent = {
  kind: 'naive-l4',
  role: 'proxy',
  layer: 'l4',
  summary: "the blog's net forwarder: new upstream per chunk, reply on upstream EOF (stalls keep-alive)",
  source: 'lab',
  knobs: {},
  ...labEngine,
  // It holds every keep-alive reply until the origin's idle timeout: a matrix row would take seconds per request.
  inDefaultMatrix: false,
  // Client connections stay until the client closes; upstream, a new connection per chunk, released by the origin's close.
  idle: () => ({ clientSide: Infinity, upstream: null, note: 'a new upstream connection per chunk' }),
  async create(_knobs, common) {
    const { createNaiveL4 } = await import('../naive-l4.js');
    return createNaiveL4(common);
  },
};
