import { l7Engine, l7FastKnobs } from './l7-knobs.js';

/**
 * l7's duties on node's llhttp binding directly (the speed path). Imported
 * only when a run asks for it: its binding self-check must not stand in the
 * way of every other kind on a node whose internals changed. HTTP/1.1
 * upstream only: a scenario's h2c is refused by its knob (l7FastKnobs), any
 * other caller's by resolveL7Options.
 */
export const l7Fast = l7Engine(
  'l7-fast',
  "l7's duties on node's llhttp directly, without node:http's objects (the speed path)",
  l7FastKnobs,
  async (options) => {
    const { createL7FastProxy } = await import('../l7-fast/index.js');
    return createL7FastProxy(options);
  },
);
