import { performance } from 'node:perf_hooks';
import type { LabEvent } from './events.js';

export type EventListener = (e: LabEvent) => void;

/**
 * Collects what every component sees, on one clock. Components call `now()`
 * and `record()` on their hot path, so both stay trivial: a push into an
 * array, and listeners only when someone subscribed (the NDJSON writer).
 * Serialising happens at the end, never per event.
 */
export class Recorder {
  readonly t0: number;
  readonly events: LabEvent[] = [];
  /** False: keep nothing (benchmarks measure the cost of recording). */
  readonly keep: boolean;
  #listeners: EventListener[] = [];

  constructor(options: { keep?: boolean; t0?: number } = {}) {
    this.keep = options.keep ?? true;
    this.t0 = options.t0 ?? performance.now();
  }

  /** ms since the run started, with sub-ms precision. */
  now(): number {
    return performance.now() - this.t0;
  }

  record(e: LabEvent): void {
    if (this.keep) this.events.push(e);
    for (const listener of this.#listeners) listener(e);
  }

  /** Subscribe; returns the unsubscribe function. */
  on(listener: EventListener): () => void {
    this.#listeners.push(listener);
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  get hasListeners(): boolean {
    return this.#listeners.length > 0;
  }
}
