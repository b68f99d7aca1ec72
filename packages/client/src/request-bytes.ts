import { LAB_HEADERS } from '@keepalive-lab/core';
import type { ResolvedLoad } from './load-options.js';

/**
 * The fast engine's request, serialised once per run: everything but the
 * request id is fixed, so per request it is one pooled allocation and three
 * copies, no header formatting.
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
    head += `${LAB_HEADERS.requestId}: `;
    this.#head = Buffer.from(head, 'latin1');
    this.#tail = o.body === null ? Buffer.from('\r\n\r\n') : Buffer.concat([Buffer.from('\r\n\r\n'), o.body]);
  }

  /** The request carrying this id. */
  forId(id: string): Buffer {
    const b = Buffer.allocUnsafe(this.#head.length + id.length + this.#tail.length);
    this.#head.copy(b, 0);
    const at = this.#head.length + b.write(id, this.#head.length, 'latin1');
    this.#tail.copy(b, at);
    return b;
  }
}
