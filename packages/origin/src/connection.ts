import type { Socket } from 'node:net';
import { closeReason as classifyClose, type CloseReason } from '@keepalive-lab/core';
import { connectionClosed, connectionOpened, type OriginContext } from './context.js';
import { connectionHeaders, NTH_SLOT, type HeaderPairs } from './response.js';

/**
 * One accepted TCP connection as the origin sees it. The remote port is read
 * at accept time: node forgets it once the socket is destroyed.
 */
export class Connection {
  /** Requests whose head arrived; the latest one's nth. */
  received = 0;
  /** Responses written in full: `requests` in conn-close. */
  answered = 0;
  /**
   * Why this side ended the connection, set by whoever knows it (a fault, the
   * keep-alive idle timer, close()); the first one set wins. Null: decided
   * at 'close' from what the socket saw (see closeReason).
   */
  reason: CloseReason | null = null;
  /**
   * Set when a response told the client this side will close (`Connection:
   * close`): the decision came first, whoever's FIN then wins the race.
   */
  closingAfterResponse: 'max-requests' | 'connection-close' | null = null;
  /** The peer's FIN arrived before this side had ended its half. */
  peerFinFirst = false;
  /** Code of the first socket error (ECONNRESET...). */
  errorCode: string | null = null;
  /**
   * The idle timer fired and the closing window is open: a request arriving
   * now is dropped without a byte (faults/close-window.ts).
   */
  inCloseWindow = false;
  readonly #headers: HeaderPairs;

  constructor(
    readonly id: number,
    readonly remotePort: number | null,
    readonly socket: Socket,
    headers: HeaderPairs,
  ) {
    this.#headers = headers;
  }

  /** The connection's response headers, stamped with this request's nth. */
  headersFor(nth: number): HeaderPairs {
    this.#headers[NTH_SLOT] = nth;
    return this.#headers;
  }

  /** No request is waiting for its answer. */
  get idle(): boolean {
    return this.received === this.answered;
  }
}

/**
 * Starts tracking an accepted socket: records conn-open, and conn-close with
 * its reason when the socket closes. Node's own http listeners were attached
 * before ours (the server's 'connection' listener runs first), so they run
 * first and we only observe what they did; 'end' is the one exception.
 */
export function openConnection(ctx: OriginContext, socket: Socket): Connection {
  const remotePort = socket.remotePort ?? null;
  const id = connectionOpened(ctx, remotePort);
  const conn = new Connection(id, remotePort, socket, connectionHeaders(ctx.template, id, remotePort));
  ctx.connections.set(socket, conn);

  // Node arms the socket timeout with keepAliveTimeout + 1000 ms (or the
  // idleCloseBuffer, idle-close-buffer.ts) when a response finishes and
  // nothing else is queued, and clears it when the next request arrives; its
  // own 'timeout' listener (node's socketOnTimeout) ran just before this one
  // and destroyed the socket. So: destroyed, nothing in flight → node's
  // keep-alive idle timer closed it. We never destroy here. (With a closing
  // window the socket is still open here: the window names its close.)
  socket.on('timeout', () => {
    if (socket.destroyed && conn.idle) conn.reason ??= 'idle-timeout';
  });
  // Node's socketOnError destroys the socket; we only note why it ended.
  socket.on('error', (err: NodeJS.ErrnoException) => {
    conn.errorCode ??= err.code ?? err.name;
  });
  // `writableEnded` turns true as soon as this side calls end() (node's
  // destroySoon after a `Connection: close` response), so it tells who went
  // first. Prepended: node's socketOnEnd answers a FIN with end() at once.
  socket.prependListener('end', () => {
    if (!socket.writableEnded) conn.peerFinFirst = true;
  });
  socket.once('close', () => connectionClosed(ctx, id, remotePort, conn.answered, () => closeReason(conn)));
  return conn;
}

/** What an HTTP/1.1 connection of either engine (node's, fast/) notes for its close reason. */
export type HttpCloseFacts = Pick<Connection, 'reason' | 'closingAfterResponse' | 'peerFinFirst' | 'errorCode'>;

/**
 * Why a connection ended, from what it saw; read once, at 'close'. The rule
 * is core's `closeReason`, the same for every component: this side's own
 * reason (or the `Connection: close` it announced) wins, then a reset (even
 * after the peer's FIN), then the peer's FIN, then any other error.
 */
export function closeReason(conn: HttpCloseFacts): CloseReason {
  return classifyClose({
    localReason: conn.reason ?? conn.closingAfterResponse,
    errorCode: conn.errorCode,
    peerEnded: conn.peerFinFirst,
  });
}
