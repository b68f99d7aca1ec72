import type { LabEvent, RequestRecord } from '@keepalive-lab/core';
import type { Metrics } from './metrics.js';

/** One request that reached an origin connection in its closing window (origin `closeWindow`): the idle-timeout race, made a rule. */
export interface RaceDrop {
  id: string;
  origin: string;
  conn: number;
  /** ms the connection had been idle when the request arrived: since the previous request on it arrived. */
  idleMs: number | null;
  /** ms after the window opened. */
  intoWindowMs: number;
  /** What the client got in the end: a status (a retry may have saved it), or an error code. */
  outcome: string;
}

/** The requests an origin dropped in a closing window, with how long their connection had idled: from the origin's events and the client's records. */
export function raceDrops(requests: RequestRecord[], events: LabEvent[]): RaceDrop[] {
  const lastArrival = new Map<string, number>();
  const opened = new Map<string, number>();
  const byId = new Map(requests.map((r) => [r.id, r]));
  const drops: RaceDrop[] = [];
  for (const e of events) {
    if (e.source !== 'origin') continue;
    const key = `${e.origin}#${e.conn}`;
    if (e.event === 'fault' && e.fault === 'closeWindow-open') opened.set(key, e.t);
    else if (e.event === 'fault' && e.fault === 'closeWindow' && e.id !== null) {
      const r = byId.get(e.id);
      const before = lastArrival.get(`${key}:before`);
      drops.push({
        id: e.id,
        origin: e.origin,
        conn: e.conn,
        idleMs: before === undefined ? null : Math.round(e.t - before),
        intoWindowMs: Math.round(e.t - (opened.get(key) ?? e.t)),
        outcome: r === undefined ? '–' : r.status !== null ? String(r.status) : (r.error ?? '–'),
      });
    } else if (e.event === 'request') {
      // The dropped request's own arrival is recorded just before its fault: keep the one before it as the idle start.
      lastArrival.set(`${key}:before`, lastArrival.get(key) ?? e.t);
      lastArrival.set(key, e.t);
    }
  }
  return drops;
}

/**
 * `race.dropped`: requests dropped in a closing window; `race.droppedAnswered`:
 * of those, the ones the client still got an answer for (a retry on a fresh
 * connection); `race.failedOutsideWindow`: client failures the race does not
 * explain. Only for runs whose origin has a closing window (`windowed`): a
 * window that never opened reads 0, not absent.
 */
export function raceMetrics(requests: RequestRecord[], events: LabEvent[], windowed: boolean): Metrics {
  if (!windowed) return {};
  const drops = raceDrops(requests, events);
  const dropped = new Set(drops.map((d) => d.id));
  const failed = (r: RequestRecord) => r.status === null || r.status >= 400;
  return {
    'race.dropped': dropped.size,
    'race.droppedAnswered': requests.filter((r) => dropped.has(r.id) && !failed(r)).length,
    'race.failedOutsideWindow': requests.filter((r) => failed(r) && !dropped.has(r.id)).length,
  };
}
