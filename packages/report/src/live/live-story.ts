import type { Lanes } from './live-lanes.js';

/** Lines kept in the page's log: the newest win. */
export const LOG_LINES = 200;

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)}s`;

const plural = (n: number, one: string, many = `${one}s`): string => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** What the story counts between two flushes. */
interface Tally {
  /** `link` → connections opened. */
  opened: Map<number, number>;
  /** `who|reason|mark` → connections closed. */
  closes: Map<string, number>;
  done: number;
  /** What the client got instead of an answer → count. */
  failures: Map<string, number>;
}

const GLYPH: Record<string, string> = { idle: '▼', reset: '✕', eof: '◆', close: '■' };

/**
 * The live log: what happened since the last flush, in a line or three
 * (`3.13s ▼ origin origin closed 5 idle connections (idle-timeout)`), told
 * from the lanes and counts, so a batch of 5 closes reads as one line.
 * Order: closes, then answers, then new connections: the order a wave
 * happens in behind a stalled forwarder.
 */
export class StoryTeller {
  #before: Tally = { opened: new Map(), closes: new Map(), done: 0, failures: new Map() };

  constructor(
    /** Per link: who connects, who accepts (`client`, `naive-l4` / `naive-l4`, `origin`). */
    readonly links: { from: string; to: string }[],
    readonly total: number,
  ) {}

  lines(now: number, lanes: Lanes, done: number, failures: Record<string, number>): string[] {
    const after = tally(lanes, done, failures);
    const at = seconds(now);
    const out: string[] = [];
    for (const [key, n] of after.closes) {
      const k = n - (this.#before.closes.get(key) ?? 0);
      if (k <= 0) continue;
      const [who, reason, mark] = key.split('|') as [string, string, string];
      const what = mark === 'idle' ? plural(k, 'idle connection') : plural(k, 'connection');
      const verb = mark === 'reset' ? 'reset' : 'closed';
      out.push(`${at} ${GLYPH[mark] ?? '■'} ${who} ${verb} ${what} (${reason})`);
    }
    const answered = after.done - this.#before.done;
    let failedNow = 0;
    const failed: string[] = [];
    for (const [what, n] of after.failures) {
      const k = n - (this.#before.failures.get(what) ?? 0);
      if (k > 0) {
        failedNow += k;
        failed.push(`${k}×${what}`);
      }
    }
    if (answered - failedNow > 0)
      out.push(`${at} ${plural(answered - failedNow, 'answer')} reached the client (${after.done}/${this.total} done)`);
    if (failedNow > 0) out.push(`${at} ${plural(failedNow, 'request')} failed: ${failed.join(' ')}`);
    for (const [link, n] of after.opened) {
      const k = n - (this.#before.opened.get(link) ?? 0);
      const l = this.links[link];
      if (k > 0 && l) out.push(`${at} ${l.from} opened ${plural(k, 'connection')} to ${l.to}`);
    }
    this.#before = after;
    return out;
  }
}

function tally(lanes: Lanes, done: number, failures: Record<string, number>): Tally {
  const t: Tally = { opened: new Map(), closes: new Map(), done, failures: new Map(Object.entries(failures)) };
  for (const lane of lanes.all) {
    t.opened.set(lane.link, (t.opened.get(lane.link) ?? 0) + 1);
    const v = lane.verdict();
    if (v) {
      const key = `${v.by}|${v.reason}|${v.mark}`;
      t.closes.set(key, (t.closes.get(key) ?? 0) + 1);
    }
  }
  return t;
}
