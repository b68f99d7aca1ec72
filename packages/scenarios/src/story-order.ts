/**
 * The order the lab tells its story in, as docs/README.md teaches it: the
 * blog's four seed experiments first, then what it got wrong, then the
 * failures real proxies meet. `lab list` and `lab report` show scenarios in
 * this order; a test keeps it and both READMEs' tables the same.
 */
export const STORY_ORDER = [
  'close-direct',
  'keepalive-direct',
  'close-l4',
  'keepalive-l4',
  'keepalive-pipe-l4',
  'pool-head-of-line',
  'keepalive-modern-node',
  'per-connection-cap',
  'keepalive-l7',
  'keepalive-nginx',
  'close-clients-l7',
  'close-clients-haproxy',
  'balance-l4-vs-l7',
  'stale-socket-retry',
  'keepalive-hint-l7',
  'origin-down',
  'hop-by-hop-headers',
  'origin-closes',
  'idle-race-direct',
  'idle-race-l7',
  'timeout-chain',
  'max-requests-l7',
  'upstream-request-cap',
  'h2c-upstream-l7',
  'port-exhaustion',
] as const;

const RANK = new Map<string, number>(STORY_ORDER.map((n, i) => [n, i]));

/** Items sorted by their scenario's place in the story; scenarios the lab does not ship (a user's own) follow, by name. */
export function inStoryOrder<T>(items: readonly T[], scenarioOf: (item: T) => string): T[] {
  const rank = (item: T) => RANK.get(scenarioOf(item)) ?? STORY_ORDER.length;
  return [...items].sort((a, b) => rank(a) - rank(b) || scenarioOf(a).localeCompare(scenarioOf(b)));
}
