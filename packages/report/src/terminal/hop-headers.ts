import type { LabEvent, RequestRecord } from '@keepalive-lab/core';
import type { Painter } from './style.js';

const show = (h: Record<string, string> | null | undefined): string =>
  h === null || h === undefined
    ? 'none'
    : Object.entries(h)
        .map(([k, v]) => `${k}: ${v}`)
        .join('; ');

/** `connection: keep-alive ×18 · none ×2`: each distinct set of headers with how many requests carried it. */
function tally(all: (Record<string, string> | null | undefined)[]): string {
  const counts = new Map<string, number>();
  for (const h of all) counts.set(show(h), (counts.get(show(h)) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${k} ×${n}`).join(' · ');
}

/**
 * The keep-alive headers at each end, tallied: what the requests carried when
 * they reached the origin, and what the responses carried when they reached
 * the client. A proxy that passes the origin's `Keep-Alive: timeout=1` on
 * shows here, beside the reconnects it causes in the port table.
 */
export function renderHopHeaders(requests: RequestRecord[], events: LabEvent[], p: Painter): string | null {
  const atOrigin = events.flatMap((e) => (e.source === 'origin' && e.event === 'request' && e.hop !== undefined ? [e.hop] : []));
  const atClient = requests.filter((r) => r.status !== null && r.responseHop !== undefined).map((r) => r.responseHop);
  if (atOrigin.length === 0 && atClient.length === 0) return null; // a result made before these were recorded
  return [
    `${p.c.dim('requests reached the origin with  ')} ${atOrigin.length === 0 ? '–' : tally(atOrigin)}`,
    `${p.c.dim('responses reached the client with ')} ${atClient.length === 0 ? '–' : tally(atClient)}`,
  ].join('\n');
}
