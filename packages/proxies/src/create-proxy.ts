import { LabError } from '@keepalive-lab/core';
import type { LabProxy, ProxyCommon } from './kinds/component.js';
import { proxyComponent } from './kinds/registry.js';

/**
 * Builds a proxy of any registered kind (not listening yet). A real peer that
 * is not installed fails here with the line that installs it.
 */
export async function createProxy(kind: string, knobs: Record<string, unknown>, common: ProxyCommon): Promise<LabProxy> {
  const c = proxyComponent(kind);
  const missing = c.missing();
  if (missing !== null) throw new LabError('LAB_ERR_PEER_MISSING', missing, { expected: kind, found: 'not installed' });
  // Absent knobs stay absent, so the kind's own defaults apply.
  const given = Object.fromEntries(Object.entries(knobs).filter(([k, v]) => v !== undefined && k !== 'kind'));
  return c.create(given, common);
}
