import type { ProxyComponent } from './component.js';
import { labEngine } from './lab-engine.js';

/** A correct L4 forwarder: one upstream connection per client connection, bytes piped both ways, half-close honoured. */
export const pipeL4: ProxyComponent = {
  kind: 'pipe-l4',
  role: 'proxy',
  layer: 'l4',
  summary: 'a correct L4 pipe: one upstream connection per client connection, 1:1',
  source: 'lab',
  knobs: {},
  ...labEngine,
  // A pipe follows its two ends: it closes one side when the other closes.
  idle: () => ({ clientSide: Infinity, upstream: Infinity, note: 'follows the ends' }),
  async create(_knobs, common) {
    const { createPipeL4 } = await import('../pipe-l4.js');
    return createPipeL4(common);
  },
};
