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
 *            addRequest ──► idle (LIFO) ──► busy ──free──► idle ──due──► destroyed
 *                 │                          ▲                 ├─end/data──► destroyed
 *                 └─ under maxSockets ──► connect              └─beyond maxIdleSockets for SURPLUS_GRACE_MS──► destroyed
 *
 * Invariants: a socket leaves `open` only in its `close` handler (#onClose),
 * so `open` counts it until the kernel is done with it and never exceeds
 * maxSockets; it leaves the idle list as soon as it is destroyed. Timers,
 * none per request (a per-request setTimeout was a visible share of the
 * proxy's CPU): each socket's own timeout is upstreamTimeout, set once and
 * refreshed by node on every read and write, so it measures silence while
 * busy and is ignored while idle; one timer per pool expires idle sockets at
 * their due time, and the surplus beyond maxIdleSockets. An idle socket is
 * unref'd.
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
  /** performance.now() at which an idle socket is dropped. */
  idleDue: number;
  /** performance.now() when it last went idle. */
  idleSince: number;
  /** The origin's last `Keep-Alive: timeout=N`, seconds. */
  hintSeconds: number | null;
  errorCode: string | null;
  sawEnd: boolean;
  /** Bytes on an idle socket answer nothing (a 408, garbage): the socket is dropped. */
  onIdleData: () => void;
}

/** What events name of an upstream connection: a pooled socket, or an h2c session (../l7/h2c-upstream.ts). */
export type UpstreamConnRef = Pick<UpstreamConn, 'id' | 'localPort'>;

export interface PoolSettings extends HintSettings {
  target: Endpoint;
  maxSockets: number;
  maxIdleSockets: number;
  upstreamTimeout: number;
  /**
   * The engine parses every byte its sockets read, idle ones too, and calls
   * `onIdleData` itself (l7-fast); otherwise the pool listens for 'data'
   * and acts on what an idle socket reads (node's client stops listening
   * once it has freed a socket).
   */
  engineReadsIdle: boolean;
}

/** What the pool tells its owner; the owner records events and tracks sockets. */
export interface PoolHooks {
  track(socket: Socket): void;
  nextConnId(): number;
  opened(conn: UpstreamConnRef): void;
  closed(conn: UpstreamConnRef, reason: CloseReason): void;
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

/**
 * ms an idle socket beyond maxIdleSockets is kept before it is closed
 * ('pool-full'), oldest first (nginx's order). Responses free sockets in
 * bursts and the requests that take them back come a round trip later:
 * closed at once, as nginx closes them, a load just above the cap opens a
 * new upstream connection every few requests (wrk, 50 connections, cap 32:
 * nginx 22 % of requests, this pool 18 %; a fifth of l7-fast's CPU per
 * request, and the origin's accepts). With the grace: 18 connections in
 * 75,000 requests. A socket idle this long was not needed by the last burst.
 */
const SURPLUS_GRACE_MS = 100;

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
  #idleTimer: NodeJS.Timeout | null = null;
  #idleTimerDue = Number.POSITIVE_INFINITY;

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
    const fresh = options.labFresh === true;
    // The common case, without a queue entry: nobody waiting, an idle socket at hand.
    const idle = this.#idle;
    if (!fresh && this.#queue.length === 0 && idle.length > 0) {
      this.#assign(idle[idle.length - 1] as UpstreamConn, req, true);
      return;
    }
    this.#queue.push({ req, fresh });
    this.#drain();
  }

  /** The exchange on this socket is over (response read, request written): what node's client says with 'free'. */
  release(socket: Socket): void {
    const c = this.#conns.get(socket);
    if (c !== undefined) this.#onFree(c);
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
    if (this.#idleTimer !== null) clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
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
      idleDue: 0,
      idleSince: 0,
      hintSeconds: null,
      errorCode: null,
      sawEnd: false,
      onIdleData: () => this.#destroy(c, 'error'),
    };
    this.#conns.set(socket, c);
    this.#hooks.track(socket);
    // Set once: node refreshes it on every read and write, so it measures silence while busy.
    socket.setTimeout(this.#s.upstreamTimeout);
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
    // Set once, not per request (adding and removing it per request was a visible cost): it acts only while idle.
    if (!this.#s.engineReadsIdle) {
      socket.on('data', () => {
        if (c.idle) c.onIdleData();
      });
    }
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
    } else if (this.#s.maxIdleSockets === 0) {
      this.#destroy(c, 'pool-full');
    } else {
      c.idle = true;
      const now = performance.now();
      c.idleSince = now;
      c.idleDue = now + allowed.ms;
      socket.unref();
      const idle = this.#idle;
      idle.push(c);
      this.#armIdleTimer(c.idleDue);
      if (idle.length > this.#s.maxIdleSockets) this.#armIdleTimer((idle[0] as UpstreamConn).idleSince + SURPLUS_GRACE_MS);
    }
    this.#drain();
  }

  /** One timer for all idle sockets of the pool, armed for the earliest due; none per request. */
  #armIdleTimer(due: number): void {
    if (this.#idleTimer !== null && due >= this.#idleTimerDue) return;
    if (this.#idleTimer !== null) clearTimeout(this.#idleTimer);
    this.#idleTimerDue = due;
    this.#idleTimer = setTimeout(this.#expireIdle, Math.max(1, Math.ceil(due - performance.now())));
    this.#idleTimer.unref();
  }

  /** Idle sockets past their due go; then the surplus beyond maxIdleSockets, oldest first, once past its grace. */
  readonly #expireIdle = (): void => {
    this.#idleTimer = null;
    this.#idleTimerDue = Number.POSITIVE_INFINITY;
    const now = performance.now();
    const idle = this.#idle;
    for (const c of [...idle]) if (c.idleDue <= now) this.#destroy(c, c.idleReason);
    const max = this.#s.maxIdleSockets;
    while (idle.length > max && (idle[0] as UpstreamConn).idleSince + SURPLUS_GRACE_MS <= now)
      this.#destroy(idle[0] as UpstreamConn, 'pool-full');
    let next = idle.length > max ? (idle[0] as UpstreamConn).idleSince + SURPLUS_GRACE_MS : Number.POSITIVE_INFINITY;
    for (const c of idle) if (c.idleDue < next) next = c.idleDue;
    if (next !== Number.POSITIVE_INFINITY) this.#armIdleTimer(next);
  };

  #leaveIdle(c: UpstreamConn): void {
    c.idle = false;
    c.socket.ref();
    const idle = this.#idle;
    // Usually the last one (LIFO).
    const i = idle.lastIndexOf(c);
    if (i === idle.length - 1) idle.pop();
    else if (i >= 0) idle.splice(i, 1);
  }

  /** The socket's own timeout is upstreamTimeout, set once: while idle it means nothing (#expireIdle decides). */
  #onTimeout(c: UpstreamConn): void {
    if (c.idle) return;
    c.reason ??= 'upstream-timeout';
    // The error reaches the request in flight through node's client: 504.
    c.socket.destroy(new UpstreamTimeoutError(this.#s.upstreamTimeout));
  }

  #destroy(c: UpstreamConn, reason: CloseReason | null): void {
    c.reason ??= reason;
    // Out of the idle list now, not at 'close': it must never be handed out in between.
    if (c.idle) this.#leaveIdle(c);
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
