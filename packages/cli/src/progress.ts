import type { Writable } from 'node:stream';
import type { RunProgress } from '@keepalive-lab/scenarios';

/**
 * A single self-rewriting line on a TTY while a run waits (the stall takes
 * seconds: say what for). Callers only create it on a TTY.
 */
export function progressLine(out: Writable & { columns?: number }) {
  let shown = false;
  return {
    update(p: RunProgress): void {
      const width = (out.columns ?? 100) - 1;
      const barW = 20;
      const filled = Math.round((p.done / Math.max(1, p.total)) * barW);
      const bar = `${'█'.repeat(filled)}${'░'.repeat(barW - filled)}`;
      const head = `${p.variant ? `[${p.variant}] ` : ''}${bar} ${p.done}/${p.total} · ${(p.elapsed / 1000).toFixed(1)}s · waiting for `;
      out.write(`\r\x1b[2K${(head + p.waitingFor).slice(0, width)}`);
      shown = true;
    },
    clear(): void {
      if (shown) out.write('\r\x1b[2K');
    },
  };
}
