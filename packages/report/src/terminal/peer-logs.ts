import type { RequestRecord } from '@keepalive-lab/core';
import type { PeerRecord } from '@keepalive-lab/scenarios';
import type { Painter } from './style.js';

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
    const retried = telling.length > 0 ? `; ${telling.length} went upstream more than once:` : '';
    parts.push(p.c.dim(`${joined.length} requests have the proxy's access line (requests[].proxyLog in --json)${retried}`));
    for (const r of telling.slice(0, 5)) parts.push(`  ${(r.proxyLog ?? []).join(' | ')}`);
  }
  for (const peer of peers ?? []) {
    const lines = peer.log.split('\n').filter((l) => l.trim() !== '' && !isAccessLine(l));
    if (lines.length === 0) continue;
    const shown = lines.slice(-keep);
    const last = lines.length > keep ? ` (the last ${keep}; all in the result file)` : '';
    const head = `${peer.kind}${peer.version ? ` ${peer.version}` : ''} logged ${lines.length} line${lines.length === 1 ? '' : 's'}${last}:`;
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
