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
  /** Requests in flight per target index; the proxy updates it. */
  readonly outstanding: number[];
  #cursor = 0;

  constructor(mode: BalanceMode, targets: number) {
    this.#mode = mode;
    this.outstanding = new Array<number>(targets).fill(0);
  }

  /** The target index for the next request; `last` is the client connection's previous one. */
  pick(last: number | null): number {
    const n = this.outstanding.length;
    if (n === 1) return 0;
    if (this.#mode === 'sticky' && last !== null) return last;
    if (this.#mode === 'least') return this.#least();
    const i = this.#cursor;
    this.#cursor = (i + 1) % n;
    return i;
  }

  #least(): number {
    const n = this.outstanding.length;
    let best = this.#cursor;
    for (let k = 1; k < n; k++) {
      const i = (this.#cursor + k) % n;
      if ((this.outstanding[i] as number) < (this.outstanding[best] as number)) best = i;
    }
    this.#cursor = (best + 1) % n;
    return best;
  }
}
