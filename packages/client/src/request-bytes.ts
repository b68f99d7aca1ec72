import { LAB_HEADERS } from '@keepalive-lab/core';
import type { ResolvedLoad } from './load-options.js';

/**
 * The fast engine's request, serialised once per run: everything but the
 * request number (the id's digits, after its prefix) is fixed. A connection
 * builds its request once and then rewrites only those digits in place.
 */
export class RequestBytes {
  readonly #head: Buffer;
  readonly #tail: Buffer;

  constructor(o: ResolvedLoad) {
    let head = `${o.method} ${o.path} HTTP/1.1\r\nhost: ${o.hostHeader}\r\nconnection: ${o.keepAlive ? 'keep-alive' : 'close'}${o.connectionTokens}\r\n`;
    for (const [name, value] of Object.entries(o.headers)) {
      // The caller's Host is already written, in the URL's place.
      if (name.toLowerCase() === 'host') continue;
      for (const v of Array.isArray(value) ? value : [value]) head += `${name}: ${v}\r\n`;
    }
    if (o.body !== null) head += `content-length: ${o.body.length}\r\n`;
    head += `${LAB_HEADERS.requestId}: ${o.idPrefix}`;
    this.#head = Buffer.from(head, 'latin1');
    this.#tail = o.body === null ? Buffer.from('\r\n\r\n') : Buffer.concat([Buffer.from('\r\n\r\n'), o.body]);
  }

  /** A new buffer carrying request n. */
  build(n: number): Buffer {
    const digits = digitCount(n);
    const b = Buffer.allocUnsafe(this.#head.length + digits + this.#tail.length);
    this.#head.copy(b, 0);
    writeDigits(b, this.#head.length, digits, n);
    this.#tail.copy(b, this.#head.length + digits);
    return b;
  }

  /**
   * `b` (built here) made to carry request n instead, in place; false when n has another number
   * of digits (build a new one). The caller makes sure no socket still holds `b` unsent.
   */
  rewrite(b: Buffer, n: number): boolean {
    const digits = digitCount(n);
    if (b.length !== this.#head.length + digits + this.#tail.length) return false;
    writeDigits(b, this.#head.length, digits, n);
    return true;
  }
}

function digitCount(n: number): number {
  let d = 1;
  for (let x = n; x >= 10; x = Math.floor(x / 10)) d++;
  return d;
}

/** n in decimal at b[at .. at + digits). */
function writeDigits(b: Buffer, at: number, digits: number, n: number): void {
  let x = n;
  for (let i = at + digits - 1; i >= at; i--) {
    b[i] = 48 + (x % 10);
    x = Math.floor(x / 10);
  }
}
