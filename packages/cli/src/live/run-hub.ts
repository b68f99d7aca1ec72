import type { RunEvent, RunFollower } from '@keepalive-lab/scenarios';

export type RunSubscriber = (p: RunEvent) => void;

/**
 * The runner takes one follower for its stream; the hub hands each event to
 * every subscriber (the progress line, the live page) in the order they
 * subscribed. A subscriber says whether it needs the detail (every recorded
 * event, every request's record) or only the clock and the count (start,
 * ready, ticks, end): the run pays for detail only when someone reads it.
 */
export interface RunHub {
  /** What the runner is given; null when nobody subscribed. */
  follower(): RunFollower | null;
  /** Returns the unsubscribe function. */
  subscribe(fn: RunSubscriber, wants?: { detail: boolean }): () => void;
}

export function runHub(): RunHub {
  let subscribers: { fn: RunSubscriber; detail: boolean }[] = [];
  const emit = (p: RunEvent): void => {
    for (const s of subscribers) if (s.detail || !isDetail(p)) s.fn(p);
  };
  return {
    follower: () => (subscribers.length === 0 ? null : { emit, detail: subscribers.some((s) => s.detail) }),
    subscribe(fn, wants = { detail: true }) {
      const entry = { fn, detail: wants.detail };
      subscribers = [...subscribers, entry];
      return () => {
        subscribers = subscribers.filter((s) => s !== entry);
      };
    },
  };
}

/** The events a follower without detail is not sent: the recorder's and the client's, one or more per request. */
const isDetail = (p: RunEvent): boolean => p.type === 'event' || p.type === 'request';
