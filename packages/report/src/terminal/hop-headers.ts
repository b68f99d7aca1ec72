import type { LabEvent, RequestRecord } from '@keepalive-lab/core';
import type { PeerRecord } from '@keepalive-lab/scenarios';
import type { Painter } from './style.js';

const show = (h: Record<string, string> | null | undefined): string =>
  h === null || h === undefined ? 'none' : Object.entries(h).map(([k, v]) => `${k}: ${v}`).join('; ');

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

/** An access line joined to a request (`id=r3 upstream=...`): shown beside its request, not here. */
const isAccessLine = (l: string): boolean => /(?:^|\s)id=\S/.test(l);

/**
 * What each real peer logged during the run (its error log, stderr), last
 * lines first kept; then the requests whose access lines show something
 * beyond one plain upstream (a retry: two upstream addresses). Null when
 * nothing was logged.
 */
export function renderPeerLogs(peers: PeerRecord[] | undefined, requests: RequestRecord[], p: Painter, keep = 10): string | null {
  const parts: string[] = [];
  const joined = requests.filter((r) => (r.proxyLog ?? []).length > 0);
  const telling = joined.filter((r) => (r.proxyLog ?? []).some((l) => /upstream=\S+,/.test(l)));
  if (joined.length > 0) {
    parts.push(p.c.dim(`${joined.length} requests have the proxy's access line (requests[].proxyLog in --json)${telling.length > 0 ? `; ${telling.length} went upstream more than once:` : ''}`));
    for (const r of telling.slice(0, 5)) parts.push(`  ${(r.proxyLog ?? []).join(' | ')}`);
  }
  for (const peer of peers ?? []) {
    const lines = peer.log.split('\n').filter((l) => l.trim() !== '' && !isAccessLine(l));
    if (lines.length === 0) continue;
    const shown = lines.slice(-keep);
    const head = `${peer.kind}${peer.version ? ` ${peer.version}` : ''} logged ${lines.length} line${lines.length === 1 ? '' : 's'}${lines.length > keep ? ` (the last ${keep}; all in the result file)` : ''}:`;
    parts.push(p.c.dim(head), ...collapse(shown).map((l) => `  ${l}`));
  }
  return parts.length === 0 ? null : parts.join('\n');
}

/** Neighbouring identical lines once, with how many: nine "upstream prematurely closed" read as one line ×9. */
function collapse(lines: string[]): string[] {
  const out: { line: string; n: number }[] = [];
  for (const line of lines) {
    const last = out[out.length - 1];
    if (last !== undefined && last.line === line) last.n++;
    else out.push({ line, n: 1 });
  }
  return out.map(({ line, n }) => (n > 1 ? `${line} (×${n})` : line));
}
