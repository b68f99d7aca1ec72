import { PROXY_COMPONENTS, type ProxyComponent } from '@keepalive-lab/proxies';
import { whyUnobservable } from '../observability.js';
import type { Scenario } from '../schema.js';

/**
 * Which topologies have a metric, asked of the one rule that decides it at
 * run time (whyUnobservable), so the reference cannot say otherwise. Each
 * column tries every proxy kind of its sort: ✓ when all of them have the
 * metric, `lab's` (or `lab's L7`) when only the lab's own engines do
 * (`proxy.own.*`), – when none. Two origins each, so `balance.*` is judged on topology alone.
 * whyUnobservable also knows the platform (TIME_WAIT is counted on Linux
 * only): the page is generated on Linux.
 */

export const TOPOLOGIES = ['direct', 'L4', 'L7', 'chain'] as const;
export type Topology = (typeof TOPOLOGIES)[number];

const chainsOf = (topology: Topology): ProxyComponent[][] => {
  switch (topology) {
    case 'direct':
      return [[]];
    case 'L4':
      return PROXY_COMPONENTS.filter((c) => c.layer === 'l4').map((c) => [c]);
    case 'L7':
      return PROXY_COMPONENTS.filter((c) => c.layer === 'l7').map((c) => [c]);
    case 'chain': {
      // A chain's metrics read the first hop (proxy.own.*) or the ends: every kind in front of the lab's l7.
      const l7 = PROXY_COMPONENTS.find((c) => c.kind === 'l7');
      return PROXY_COMPONENTS.map((c) => (l7 ? [c, l7] : [c]));
    }
  }
};

/** The fields whyUnobservable reads; the rest of a scenario does not matter to it. */
const scenarioWith = (chain: ProxyComponent[]): Scenario =>
  ({
    origins: [{ name: 'a' }, { name: 'b' }],
    proxies: chain.length === 0 ? undefined : chain.map((c) => ({ kind: c.kind })),
  }) as unknown as Scenario;

/** ✓, `lab's` or – for one metric in one topology. */
export function topologyCell(metric: string, topology: Topology): string {
  const chains = chainsOf(topology);
  const has = chains.filter((chain) => whyUnobservable(metric, scenarioWith(chain)) === null);
  if (has.length === chains.length) return '✓';
  if (has.length === 0) return '–';
  // Named by who has it when that is a sort of kind (the lab's own, the lab's L7 engines); else kind by kind.
  const sorts: [string, (c: ProxyComponent) => boolean][] = [
    ["lab's", (c) => c.source === 'lab'],
    ["lab's L7", (c) => c.source === 'lab' && c.layer === 'l7'],
  ];
  const firsts = has.map((chain) => chain[0]);
  for (const [name, isOfSort] of sorts) {
    const ofSort = chains.filter((chain) => chain[0] !== undefined && isOfSort(chain[0]));
    if (ofSort.length === has.length && firsts.every((c) => c !== undefined && isOfSort(c))) return name;
  }
  return firsts.map((c) => c?.kind).join(', ');
}
