import { formatDuration } from '@keepalive-lab/core';
import { idleChain, type IdleHop, type Scenario } from '@keepalive-lab/scenarios';
import type { Painter } from './style.js';

const time = (ms: number | null): string => (ms === null ? '?' : ms === Infinity ? '∞' : formatDuration(ms));

/** Scenarios about timeouts (tagged `timeout`) print their chain's idle timeouts; the others would only repeat Node's Agent race. */
export const isAboutTimeouts = (s: Pick<Scenario, 'tags'>): boolean => s.tags.includes('timeout');

/**
 * Each link of the chain on a line: the front hop's idle time for connections
 * to the back hop, against how long the back hop keeps them, marked ✗ where
 * the front one idles longer (a request can cross the back hop's close).
 */
export function renderIdleTimeouts(s: Scenario, p: Painter): string {
  const { hops, links } = idleChain(s);
  const side = (h: IdleHop, which: 'clientSide' | 'upstream'): string =>
    `${h.name} ${which === 'upstream' && h.name !== 'client' ? 'pool ' : ''}${time(h[which])}`;
  const lines = links.map((l, i) => {
    const [a, b] = [hops[i] as IdleHop, hops[i + 1] as IdleHop];
    const mark =
      l.risky === null
        ? p.c.dim('?')
        : l.risky
          ? p.c.red(`✗ ${a.name} idles longer: it can reuse a connection ${b.name} is closing`)
          : p.c.green('✓');
    // A proxy's note is about its pool (the front side here); the origin's about its idle close (the back side).
    const notes = [a.note, b.name === 'origin' ? b.note : undefined].filter((n) => n !== undefined).join('; ');
    return `  ${side(a, 'upstream')} → ${side(b, 'clientSide')}  ${mark}${notes ? p.c.dim(`  (${notes})`) : ''}`;
  });
  return [p.c.bold('Idle timeouts') + p.c.dim(' (each hop should idle less than the hop behind it)'), ...lines].join('\n');
}
