import { z } from 'zod';
import { LabError } from '@keepalive-lab/core';
import type { ProxyComponent } from './component.js';

/**
 * A proxy the lab does not start (one the user runs, pointed at the lab's
 * origin): the client goes to `url`. Judged from the client's and the
 * origin's records only, like every other kind.
 */
export const external: ProxyComponent = {
  kind: 'external',
  role: 'proxy',
  layer: 'l7',
  summary: 'a proxy you run yourself: the client goes to url, the origin records what arrives',
  source: 'user',
  knobs: { url: z.string().url().describe("the proxy's URL, pointed at the lab's origin (fix origins.0.port)") },
  startable: false,
  inDefaultMatrix: false,
  missing: () => null,
  version: () => Promise.resolve(null),
  create() {
    return Promise.reject(
      new LabError('LAB_ERR_USAGE', 'proxy kind external is not started by the lab: the client goes to its url', { found: 'external' }),
    );
  },
};
