import type { BalanceMode } from './options.js';

/**
 * Per-request balancing: the point of L7. An L4 forwarder picks a server once
 * per client connection; here every request picks again.
 *
 * - rr: round-robin over targets, one shared cursor.
 * - least: fewest requests in flight; ties go round-robin, so an idle set of
 *   targets is still spread evenly.
 * - sticky: HAProxy's `option prefer-last-server`: a client connection keeps
 *   the target of its previous request; its first request goes round-robin.
 */
export class Balancer {
  readonly #mode: BalanceMode;
  /** Requests in flight per target index: changed only by started() and finished(). */
  readonly #outstanding: number[];
  #cursor = 0;

  constructor(mode: BalanceMode, targets: number) {
    this.#mode = mode;
    this.#outstanding = new Array<number>(targets).fill(0);
  }

  /** A request went to `target`: in flight there until finished(target). */
  started(target: number): void {
    this.#outstanding[target] = (this.#outstanding[target] as number) + 1;
  }

  /** A request that started() on `target` is over (answered, failed or abandoned): call once per started(). */
  finished(target: number): void {
    this.#outstanding[target] = (this.#outstanding[target] as number) - 1;
  }

  /** Requests in flight on `target` now. */
  inFlight(target: number): number {
    return this.#outstanding[target] ?? 0;
  }

  /** The target index for the next request; `last` is the client connection's previous one. */
  pick(last: number | null): number {
    const n = this.#outstanding.length;
    if (n === 1) return 0;
    if (this.#mode === 'sticky' && last !== null) return last;
    if (this.#mode === 'least') return this.#least();
    const i = this.#cursor;
    this.#cursor = (i + 1) % n;
    return i;
  }

  #least(): number {
    const n = this.#outstanding.length;
    let best = this.#cursor;
    for (let k = 1; k < n; k++) {
      const i = (this.#cursor + k) % n;
      if ((this.#outstanding[i] as number) < (this.#outstanding[best] as number)) best = i;
    }
    this.#cursor = (best + 1) % n;
    return best;
  }
}
