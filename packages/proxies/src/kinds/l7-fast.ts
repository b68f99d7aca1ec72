import { LabError } from '@keepalive-lab/core';
import { L7_FAST_NO_H2C } from '../l7-kit/options.js';
import { l7Engine, l7FastKnobs } from './l7-knobs.js';

/**
 * l7's duties on node's llhttp binding directly (the speed path). Imported
 * only when a run asks for it: its binding self-check must not stand in the
 * way of every other kind on a node whose internals changed. HTTP/1.1
 * upstream only: h2c is refused here, before the import (and again by
 * resolveL7Options, for a caller of createL7FastProxy).
 */
export const l7Fast = l7Engine(
  'l7-fast',
  "l7's duties on node's llhttp directly, without node:http's objects (the speed path)",
  l7FastKnobs,
  async (options) => {
    if (options.upstreamProtocol === 'h2c') {
      throw new LabError('LAB_ERR_USAGE', L7_FAST_NO_H2C, { path: 'upstreamProtocol', expected: 'http/1.1', found: 'h2c' });
    }
    const { createL7FastProxy } = await import('../l7-fast/index.js');
    return createL7FastProxy(options);
  },
);
