import { connect, type Socket } from 'node:net';
import { NEED_MORE, PARSE_ERROR, ResponseParser } from '@keepalive-lab/client';

/**
 * One raw client connection of the soak: writes whatever bytes a behaviour
 * chooses (pipelined, cut short, half a head) and counts the complete
 * responses coming back, in order, with the client package's parser.
 */
export class SoakConn {
  readonly sock: Socket;
  /** Requests written (a behaviour says how many a write holds). */
  sent = 0;
  /** Complete responses received. */
  answered = 0;
  /** Answered, by status. */
  readonly statuses = new Map<number, number>();
  /** Bytes of response received so far, complete or not. */
  bytesIn = 0;
  /** The peer sent FIN. */
  ended = false;
  closed = false;
  error: string | null = null;
  /** We destroyed the socket on purpose. */
  destroyedByUs = false;
  readonly #parser = new ResponseParser();
  #wake: (() => void) | null = null;

  constructor(port: number) {
    this.sock = connect({ host: '127.0.0.1', port });
    this.sock.setNoDelay(true);
    this.sock.on('connect', () => this.#notify());
    this.sock.on('data', (chunk: Buffer) => this.#onData(chunk));
    this.sock.on('end', () => {
      // A body delimited by the close is complete now; any other cut response is not.
      if (this.#parser.started && this.#parser.finishOnEof()) this.#count();
      this.ended = true;
      this.#notify();
    });
    this.sock.on('error', (err: NodeJS.ErrnoException) => {
      this.error ??= err.code ?? err.message;
      this.#notify();
    });
    this.sock.on('close', () => {
      this.closed = true;
      this.#notify();
    });
  }

  /** Resolves once connected; false if the connection failed (refused, reset) first. */
  connected(deadline: number): Promise<boolean> {
    return this.until(() => !this.sock.connecting, deadline).then((ok) => ok && !this.closed);
  }

  write(bytes: Buffer | string, requests: number): void {
    this.sent += requests;
    if (!this.sock.destroyed) this.sock.write(bytes);
  }

  /** Responses still owed. */
  get outstanding(): number {
    return this.sent - this.answered;
  }

  /** The connection can still deliver: not closed, not errored, the peer has not ended. */
  get open(): boolean {
    return !this.closed && !this.ended && this.error === null;
  }

  /**
   * Waits until `done()` holds (true), or the connection can deliver nothing
   * more, or `deadline` (Date.now() ms) passes (false either way).
   */
  until(done: () => boolean, deadline: number): Promise<boolean> {
    return new Promise((resolve) => {
      const check = (): boolean => {
        if (done()) {
          finish(true);
          return true;
        }
        if (this.closed || this.ended || this.error !== null) {
          finish(false);
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => finish(done()), Math.max(0, deadline - Date.now()));
      const finish = (ok: boolean): void => {
        clearTimeout(timer);
        this.#wake = null;
        resolve(ok);
      };
      if (!check()) this.#wake = check as () => void;
    });
  }

  /** Leaves: `reset` sends an RST (a crashed client), otherwise a FIN and the socket is gone. */
  destroy(reset: boolean): void {
    if (this.closed) return;
    this.destroyedByUs = true;
    if (reset && !this.sock.connecting && !this.sock.destroyed) this.sock.resetAndDestroy();
    else this.sock.destroy();
  }

  #onData(chunk: Buffer): void {
    this.bytesIn += chunk.length;
    let off = 0;
    while (off < chunk.length) {
      const r = this.#parser.execute(chunk, off);
      if (r === NEED_MORE) break;
      if (r === PARSE_ERROR) {
        this.error ??= `parse: ${this.#parser.error}`;
        this.sock.destroy();
        break;
      }
      this.#count();
      off = r;
    }
    this.#notify();
  }

  #count(): void {
    this.answered++;
    const s = this.#parser.status;
    this.statuses.set(s, (this.statuses.get(s) ?? 0) + 1);
    this.#parser.reset();
  }

  #notify(): void {
    this.#wake?.();
  }
}
