import type { RunProgress } from '@keepalive-lab/scenarios';

export type RunSubscriber = (p: RunProgress) => void;

/**
 * The runner takes one callback for its stream; the hub hands each event to
 * every subscriber (the progress line, the live page) in the order they
 * subscribed. `emit` is that callback.
 */
export interface RunHub {
  readonly emit: RunSubscriber;
  /** Returns the unsubscribe function. */
  subscribe(fn: RunSubscriber): () => void;
  readonly size: number;
}

export function runHub(): RunHub {
  let subscribers: RunSubscriber[] = [];
  return {
    emit: (p) => {
      for (const fn of subscribers) fn(p);
    },
    subscribe(fn) {
      subscribers = [...subscribers, fn];
      return () => {
        subscribers = subscribers.filter((s) => s !== fn);
      };
    },
    get size() {
      return subscribers.length;
    },
  };
}
