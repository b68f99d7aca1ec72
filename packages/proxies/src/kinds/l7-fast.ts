import type { L7ProxyOptions } from '../l7/options.js';
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
  async create(knobs, common) {
    const { createL7FastProxy } = await import('../l7-fast/index.js');
    return createL7FastProxy({ ...common, ...(knobs as Partial<L7ProxyOptions>) });
  },
};
