import type { RunEvent } from '@keepalive-lab/scenarios';
import type { ReplayItem } from '@keepalive-lab/report';

/**
 * Plays a replay's items on a clock that can pause, change speed and start
 * over, handing each to `emit` when its time comes (several per timer when
 * they crowd: 10,000 answers do not mean 10,000 timers).
 */
export class ReplayPlayer {
  readonly #items: ReplayItem[];
  readonly #emit: (p: RunEvent) => void;
  #next = 0;
  #speed: number;
  #paused = false;
  /** The replay clock (ms) at `#anchor` (performance.now()). */
  #pos = 0;
  #anchor = performance.now();
  #timer: NodeJS.Timeout | null = null;
  #onFinished: () => void = () => undefined;
  /** Resolves when the last item has been played (the first time). */
  readonly finished: Promise<void>;

  constructor(items: ReplayItem[], speed: number, emit: (p: RunEvent) => void) {
    this.#items = items;
    this.#speed = speed;
    this.#emit = emit;
    this.finished = new Promise((resolve) => (this.#onFinished = resolve));
  }

  get speed(): number {
    return this.#speed;
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** Where the replay is (ms on its clock). */
  position(): number {
    return this.#paused ? this.#pos : this.#pos + (performance.now() - this.#anchor) * this.#speed;
  }

  start(): void {
    this.#reanchor(0);
    this.#play();
  }

  pause(): void {
    if (this.#paused) return;
    this.#reanchor(this.position());
    this.#paused = true;
    this.#clear();
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#reanchor(this.#pos);
    this.#play();
  }

  setSpeed(speed: number): void {
    this.#reanchor(this.position());
    this.#speed = speed;
    if (!this.#paused) this.#play();
  }

  /** From the beginning: the first item is the run's start, so the page begins again too. */
  restart(): void {
    this.#next = 0;
    this.#reanchor(0);
    if (!this.#paused) this.#play();
  }

  stop(): void {
    this.#clear();
  }

  #reanchor(pos: number): void {
    this.#pos = pos;
    this.#anchor = performance.now();
  }

  #clear(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #play(): void {
    this.#clear();
    const now = this.position();
    while (this.#next < this.#items.length && (this.#items[this.#next]?.at ?? 0) <= now) {
      this.#emit((this.#items[this.#next++] as ReplayItem).p);
    }
    const next = this.#items[this.#next];
    if (next === undefined) {
      this.#onFinished();
      return;
    }
    this.#timer = setTimeout(() => this.#play(), Math.max(0, (next.at - now) / this.#speed));
  }
}
