import { connect, type Socket } from 'node:net';
import { closeReason, type CloseReason, type Endpoint } from '@keepalive-lab/core';
import { idleAllowance, type HintSettings } from './keep-alive-hint.js';

/**
 * The keep-alive pool of one target: strictly concerned with sockets (node's
 * Agent says the same of itself). It is an "Agent-like object" for
 * `http.request` — `addRequest(req)` hands the request a socket with
 * `req.onSocket()`, and node's client emits `free` on the socket once the
 * response is read and the request written — but unlike node's Agent it
 * records why every socket ends, honours the origin's Keep-Alive hint with
 * its own margin (keep-alive-hint.ts), and can insist on a fresh connection
 * for a retry. Both L7 engines use it: node's ClientRequest (l7) and
 * l7-fast's exchange are its requests.
 *
 *            addRequest ──► idle (LIFO) ──► busy ──free──► idle ──timeout──► destroyed
 *                 │                          ▲                 └─end/data──► destroyed
 *                 └─ under maxSockets ──► connect          queue (full) ──┘
 *
 * Invariants: a socket leaves the pool only in its `close` handler (#onClose),
 * so `open` counts it until the kernel is done with it and never exceeds
 * maxSockets; an idle socket has exactly one timer (the socket's own timeout)
 * and is unref'd; a busy one has the upstream timeout.
 */

export interface UpstreamConn {
  readonly id: number;
  readonly socket: Socket;
  /** What the origin sees as our port; null until connected. */
  localPort: number | null;
  /** Requests handed this socket. */
  requests: number;
  /** socket.bytesRead when the current request was handed this socket: what it read since is that request's response. */
  readAtAssign: number;
  idle: boolean;
  /** Why this side ended it; set once, by whoever decided. */
  reason: CloseReason | null;
  /** What the idle timer means when it fires. */
  idleReason: CloseReason;
  /** The origin's last `Keep-Alive: timeout=N`, seconds. */
  hintSeconds: number | null;
  errorCode: string | null;
  sawEnd: boolean;
  /** Bytes on an idle socket answer nothing (a 408, garbage): the socket is dropped. */
  onIdleData: () => void;
}

export interface PoolSettings extends HintSettings {
  target: Endpoint;
  maxSockets: number;
  maxIdleSockets: number;
  upstreamTimeout: number;
}

/** What the pool tells its owner; the owner records events and tracks sockets. */
export interface PoolHooks {
  track(socket: Socket): void;
  nextConnId(): number;
  opened(conn: UpstreamConn): void;
  closed(conn: UpstreamConn, reason: CloseReason): void;
}

/** Options `http.request` passes through to addRequest. */
export interface PoolRequestOptions {
  /** Never an idle socket: a retry after a stale one. */
  labFresh?: boolean;
}

/**
 * What the pool needs of a request: node's ClientRequest has all of it, and
 * l7-fast's exchange offers the same four members, so both engines share
 * this pool and its close reasons.
 */
export interface PoolRequest {
  readonly destroyed: boolean;
  reusedSocket: boolean;
  onSocket(socket: Socket): void;
  destroy(err?: Error): unknown;
}

interface Waiter {
  req: PoolRequest;
  fresh: boolean;
}

/** The code of the error a silent origin produces: the proxy answers 504 (retry.ts). */
export const UPSTREAM_TIMEOUT = 'UPSTREAM_TIMEOUT';

export class UpstreamTimeoutError extends Error {
  readonly code = UPSTREAM_TIMEOUT;
  constructor(ms: number) {
    super(`upstream silent for ${ms} ms`);
  }
}

export class UpstreamPool {
  // The Agent-like surface node's ClientRequest reads.
  readonly keepAlive = true;
  readonly protocol = 'http:';
  readonly defaultPort = 80;
  readonly maxSockets: number;

  /** Connections opened, and requests that reused one. */
  opened = 0;
  reuses = 0;

  readonly #s: PoolSettings;
  readonly #hooks: PoolHooks;
  readonly #conns = new Map<Socket, UpstreamConn>();
  /** LIFO: the most recently used socket is the least likely to be stale. */
  readonly #idle: UpstreamConn[] = [];
  readonly #queue: Waiter[] = [];
  #closing = false;

  constructor(settings: PoolSettings, hooks: PoolHooks) {
    this.#s = settings;
    this.#hooks = hooks;
    this.maxSockets = settings.maxSockets;
  }

  get open(): number {
    return this.#conns.size;
  }

  get idle(): number {
    return this.#idle.length;
  }

  get waiting(): number {
    return this.#queue.length;
  }

  conn(socket: Socket): UpstreamConn | undefined {
    return this.#conns.get(socket);
  }

  /** Called by node's ClientRequest constructor. */
  addRequest(req: PoolRequest, options: PoolRequestOptions): void {
    if (this.#closing) {
      req.destroy(new Error('upstream pool closed'));
      return;
    }
    this.#queue.push({ req, fresh: options.labFresh === true });
    this.#drain();
  }

  /** Records why this side is about to end a socket (first reason wins). */
  markReason(socket: Socket, reason: CloseReason): void {
    const c = this.#conns.get(socket);
    if (c !== undefined && c.reason === null) c.reason = reason;
  }

  /**
   * What a final response head says of its socket's future, called by both
   * engines once per response: the origin's `Keep-Alive: timeout=N` (null:
   * none given, an earlier one stands) sets how long it may idle once freed;
   * an origin that will not keep it alive (`Connection: close`, HTTP/1.0
   * without keep-alive) means it is closed once the response is read.
   */
  noteResponse(socket: Socket, hintSeconds: number | null, originKeepsAlive: boolean): void {
    const c = this.#conns.get(socket);
    if (c === undefined) return;
    if (hintSeconds !== null) c.hintSeconds = hintSeconds;
    if (!originKeepsAlive) c.reason ??= 'connection-close';
  }

  /** An attempt on this socket failed with `code`: a response that did not parse (HPE_*) leaves the socket unframed. */
  noteFailure(socket: Socket, code: string | undefined): void {
    if (code?.startsWith('HPE_') === true) this.markReason(socket, 'error');
  }

  /** Stop handing out sockets; idle ones go now, busy ones when freed. */
  close(): void {
    this.#closing = true;
    for (const w of this.#queue.splice(0)) w.req.destroy(new Error('upstream pool closed'));
    for (const c of [...this.#idle]) this.#destroy(c, 'server-close');
  }

  /** Serves waiting requests in order while sockets or slots allow. */
  #drain(): void {
    while (this.#queue.length > 0) {
      const w = this.#queue[0] as Waiter;
      if (w.req.destroyed) {
        this.#queue.shift();
        continue;
      }
      const idle = w.fresh ? undefined : this.#idle.pop();
      if (idle !== undefined) {
        this.#queue.shift();
        this.#assign(idle, w.req, true);
      } else if (this.#conns.size < this.#s.maxSockets) {
        this.#queue.shift();
        this.#assign(this.#connect(), w.req, false);
      } else {
        // At the cap with a fresh-only request first in line: give up the
        // oldest idle socket so its slot can open a new connection.
        const oldest = w.fresh ? this.#idle[0] : undefined;
        if (oldest !== undefined && oldest.reason === null) this.#destroy(oldest, 'pool-full');
        return;
      }
    }
  }

  #assign(c: UpstreamConn, req: PoolRequest, reused: boolean): void {
    if (c.idle) this.#leaveIdle(c);
    c.requests++;
    c.readAtAssign = c.socket.bytesRead;
    c.socket.setTimeout(this.#s.upstreamTimeout);
    if (reused) this.reuses++;
    req.reusedSocket = reused;
    req.onSocket(c.socket);
  }

  #connect(): UpstreamConn {
    const socket = connect({ host: this.#s.target.host, port: this.#s.target.port, noDelay: true });
    const c: UpstreamConn = {
      id: this.#hooks.nextConnId(),
      socket,
      localPort: null,
      requests: 0,
      readAtAssign: 0,
      idle: false,
      reason: null,
      idleReason: 'pool-idle-timeout',
      hintSeconds: null,
      errorCode: null,
      sawEnd: false,
      onIdleData: () => this.#destroy(c, 'error'),
    };
    this.#conns.set(socket, c);
    this.#hooks.track(socket);
    socket.once('connect', () => {
      c.localPort = socket.localPort ?? null;
      this.opened++;
      this.#hooks.opened(c);
    });
    socket.on('free', () => this.#onFree(c));
    socket.on('timeout', () => this.#onTimeout(c));
    // Permanent: node's client leaves a freed socket without an error
    // listener until the next tick (its own TODO); the error is kept as the
    // close reason, and the request in flight, if any, gets it from node.
    socket.on('error', (err: NodeJS.ErrnoException) => {
      c.errorCode ??= err.code ?? 'error';
    });
    socket.on('end', () => {
      c.sawEnd = true;
    });
    socket.once('close', () => this.#onClose(c));
    return c;
  }

  /** node's client is done with the socket: response read, request written. */
  #onFree(c: UpstreamConn): void {
    const socket = c.socket;
    if (this.#closing || socket.destroyed || !socket.writable || c.sawEnd || c.reason !== null) {
      // The peer's FIN or error is a fact for closeReason, not this side's decision.
      const peerDid = c.sawEnd || c.errorCode !== null;
      this.#destroy(c, c.reason ?? (this.#closing ? 'server-close' : peerDid ? null : 'peer-closed'));
      return;
    }
    // A request waiting for a socket takes it at once: it has just proven alive.
    const next = this.#queue[0];
    if (next !== undefined && !next.fresh && !next.req.destroyed) {
      this.#queue.shift();
      this.#assign(c, next.req, true);
      return;
    }
    const allowed = idleAllowance(c.hintSeconds, this.#s);
    c.idleReason = allowed.reason;
    if (allowed.ms <= 0) {
      this.#destroy(c, allowed.reason);
    } else if (this.#idle.length >= this.#s.maxIdleSockets) {
      this.#destroy(c, 'pool-full');
    } else {
      c.idle = true;
      socket.setTimeout(allowed.ms);
      socket.on('data', c.onIdleData);
      socket.unref();
      this.#idle.push(c);
    }
    this.#drain();
  }

  #leaveIdle(c: UpstreamConn): void {
    c.idle = false;
    c.socket.off('data', c.onIdleData);
    c.socket.ref();
    const i = this.#idle.indexOf(c);
    if (i >= 0) this.#idle.splice(i, 1);
  }

  #onTimeout(c: UpstreamConn): void {
    if (c.idle) {
      this.#destroy(c, c.idleReason);
      return;
    }
    c.reason ??= 'upstream-timeout';
    // The error reaches the request in flight through node's client: 504.
    c.socket.destroy(new UpstreamTimeoutError(this.#s.upstreamTimeout));
  }

  #destroy(c: UpstreamConn, reason: CloseReason | null): void {
    c.reason ??= reason;
    c.socket.destroy();
  }

  /** The one place a socket leaves the pool. */
  #onClose(c: UpstreamConn): void {
    this.#conns.delete(c.socket);
    if (c.idle) this.#leaveIdle(c);
    if (c.localPort !== null) this.#hooks.closed(c, c.reason ?? this.#inferReason(c));
    this.#drain();
  }

  /** Nothing here decided it: core's closeReason names it from what the socket saw. */
  #inferReason(c: UpstreamConn): CloseReason {
    return closeReason({ errorCode: c.errorCode, peerEnded: c.sawEnd, shuttingDown: this.#closing });
  }
}
