import type { Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { ServerBase } from '@keepalive-lab/core';
import type { ProxyCommon } from './component.js';

/**
 * The client side http-proxy and undici-proxy share: node:http's server, with
 * each client connection's unanswered requests counted so that close() ends an
 * idle connection at once and a busy one right after its answer, instead of
 * leaving both to ServerBase's grace period.
 */
export abstract class HttpServerProxy extends ServerBase {
  /** Client sockets and their requests not yet answered. */
  readonly #clients = new Map<Socket, number>();
  #closed: Promise<void> | null = null;

  constructor(server: Server, common: ProxyCommon) {
    super(server, { listen: common.listen ?? { host: '127.0.0.1', port: 0 } });
    server.on('connection', (socket: Socket) => {
      this.track(socket);
      this.#clients.set(socket, 0);
      socket.once('close', () => this.#clients.delete(socket));
    });
  }

  /** Counts a request until its answer is done; while closing, its connection then ends. */
  protected answering(socket: Socket, res: ServerResponse): void {
    this.#clients.set(socket, (this.#clients.get(socket) ?? 0) + 1);
    res.once('close', () => {
      const left = this.#clients.get(socket);
      if (left === undefined) return;
      this.#clients.set(socket, left - 1);
      if (left === 1 && this.closing) socket.end();
    });
  }

  /** At close(): idle clients end now, busy ones after their answer; upstream sockets are the subclass's (see shutdown). */
  protected override endSocket(socket: Socket): void {
    if (this.#clients.get(socket) === 0) socket.end();
  }

  override close(): Promise<void> {
    this.#closed ??= this.shutdown();
    return this.#closed;
  }

  /** close()'s work, run once: the subclass winds down its upstream side around closeServer(). */
  protected abstract shutdown(): Promise<void>;

  /** ServerBase's close: stop listening, end each socket (endSocket), wait until every one has closed. */
  protected closeServer(): Promise<void> {
    return super.close();
  }
}
