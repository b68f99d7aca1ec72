import { connect as connectH2, type ClientHttp2Session, type ClientHttp2Stream, type OutgoingHttpHeaders } from 'node:http2';
import { connect, type Socket } from 'node:net';
import { closeReason, formatEndpoint, type CloseReason, type Endpoint } from '@keepalive-lab/core';
import { UpstreamTimeoutError, type PoolHooks } from '../l7-kit/upstream-pool.js';

/**
 * The HTTP/2 upstream of one target (upstreamProtocol h2c): HTTP/2 over
 * cleartext TCP with prior knowledge (RFC 9113 §3.3), one `node:http2`
 * client session carrying every request to that origin as a stream, where
 * the HTTP/1.1 path (l7-kit/upstream-pool.ts) keeps a pool of keep-alive
 * sockets, one request at a time each.
 *
 *   request ──► current session? ──no──► connect (lazily) ──► stream
 *                   │ yes (not draining)                         │
 *                   └──────────────────────────────────────────► stream
 *   GOAWAY / close / error / idle past poolIdleTimeout / close() ──► draining: the next request opens a new session
 *
 * Events and counters mean what they mean for the pool, so the lab's
 * metrics read them unchanged: `upstream-open` when a session's socket
 * connects (its own upstream id, the socket's local port, clientConn null),
 * a `forward` per stream whose `reused` says the session had carried a
 * stream before, `upstream-close` when the socket closes, with core's close
 * reasons: server-close (close()), pool-idle-timeout (no stream open for
 * poolIdleTimeout: what the knob means here), upstream-timeout (no connect
 * within upstreamTimeout), and otherwise what the socket saw: the origin's
 * GOAWAY or close is `peer-closed`, as its FIN is on a pooled socket; a
 * reset `peer-reset`; another error `error`. `open` counts sessions until
 * their socket's 'close'; `idle` those with no stream open.
 *
 * The session runs on a socket of our own (`createConnection`): its local
 * port is read as the pool reads it, ServerBase tracks it, and it can be
 * destroyed. node ends a finished session's socket and then waits for the
 * origin's FIN, which a node:http2 origin never sends once its session is
 * gone (the half-open socket would hold close() to its grace period): after
 * our FIN the origin has LINGER_MS to close its side, then ours is destroyed.
 */

export interface H2cSession {
  readonly id: number;
  readonly socket: Socket;
  readonly session: ClientHttp2Session;
  /** What the origin sees as our port; null until connected. */
  localPort: number | null;
  /** Streams opened on it. */
  streams: number;
  /** Streams open now. */
  active: number;
  /** performance.now() when its last stream closed (or it connected). */
  idleSince: number;
  idleTimer: NodeJS.Timeout | null;
  connectTimer: NodeJS.Timeout | null;
  /** Takes no new stream: the origin's GOAWAY, an error, idle expiry or close(). */
  draining: boolean;
  /** The origin sent GOAWAY. */
  goaway: boolean;
  /** Why this side ended it; set once, by whoever decided. */
  reason: CloseReason | null;
  errorCode: string | null;
}

/** One stream for one attempt of a request. */
export interface H2cAttempt {
  readonly stream: ClientHttp2Stream;
  readonly session: H2cSession;
  /** The session had carried a stream before this one. */
  readonly reused: boolean;
}

export interface H2cSettings {
  target: Endpoint;
  /** ms a session with no stream open is kept. */
  poolIdleTimeout: number;
  /** ms a session may take to connect. */
  upstreamTimeout: number;
}

/** ms the origin has, after our FIN, to close its side before our socket is destroyed. */
const LINGER_MS = 100;

export class H2cUpstream {
  /** Sessions connected, and streams sent on a session that had carried one before. */
  opened = 0;
  reuses = 0;

  readonly #s: H2cSettings;
  readonly #hooks: PoolHooks;
  readonly #authority: string;
  /** Every session until its socket's 'close'. */
  readonly #sessions = new Set<H2cSession>();
  /** The one new streams go on; null until needed again. */
  #current: H2cSession | null = null;
  #closing = false;

  constructor(settings: H2cSettings, hooks: PoolHooks) {
    this.#s = settings;
    this.#hooks = hooks;
    this.#authority = `http://${formatEndpoint(settings.target)}`;
  }

  /** Sessions open now (connecting, busy, idle or draining). */
  get open(): number {
    return this.#sessions.size;
  }

  /** Of those, connected sessions with no stream open. */
  get idle(): number {
    let n = 0;
    for (const c of this.#sessions) if (c.active === 0 && c.localPort !== null && !c.draining) n++;
    return n;
  }

  /**
   * A stream for a request on the current session, connecting one first if
   * there is none to use (or only `avoid`: the session that refused this
   * request's first attempt). Null once close() has begun. Throws what
   * node's `request()` throws for a head HTTP/2 cannot carry.
   */
  request(headers: OutgoingHttpHeaders, endStream: boolean, avoid: H2cSession | null = null): H2cAttempt | null {
    if (this.#closing) return null;
    let c = this.#current;
    if (c !== null && (c === avoid || c.draining || c.session.closed || c.session.destroyed)) {
      this.#retire(c);
      c = null;
    }
    c ??= this.#connect();
    const stream = c.session.request(headers, { endStream });
    const reused = c.streams > 0;
    c.streams++;
    if (reused) this.reuses++;
    if (c.active++ === 0) c.session.ref();
    stream.once('close', () => this.#streamClosed(c));
    return { stream, session: c, reused };
  }

  /** No new streams; open ones finish (ServerBase's grace destroys what does not), then every session closes. */
  close(): void {
    this.#closing = true;
    for (const c of this.#sessions) {
      c.reason ??= 'server-close';
      this.#retire(c);
      if (!c.session.closed) c.session.close();
    }
  }

  #connect(): H2cSession {
    const socket = connect({ host: this.#s.target.host, port: this.#s.target.port, noDelay: true });
    const session = connectH2(this.#authority, { createConnection: () => socket });
    const c: H2cSession = {
      id: this.#hooks.nextConnId(),
      socket,
      session,
      localPort: null,
      streams: 0,
      active: 0,
      idleSince: performance.now(),
      idleTimer: null,
      connectTimer: null,
      draining: false,
      goaway: false,
      reason: null,
      errorCode: null,
    };
    this.#sessions.add(c);
    this.#current = c;
    this.#hooks.track(socket);
    c.connectTimer = setTimeout(() => {
      c.connectTimer = null;
      c.reason ??= 'upstream-timeout';
      // Its streams get ERR_HTTP2_STREAM_CANCEL with this as the cause: 504.
      session.destroy(new UpstreamTimeoutError(this.#s.upstreamTimeout));
    }, this.#s.upstreamTimeout);
    c.connectTimer.unref();
    socket.once('connect', () => {
      if (c.connectTimer !== null) clearTimeout(c.connectTimer);
      c.connectTimer = null;
      c.localPort = socket.localPort ?? null;
      c.idleSince = performance.now();
      this.opened++;
      this.#hooks.opened(c);
      if (c.active === 0) this.#armIdle(c);
    });
    const noteError = (err: NodeJS.ErrnoException): void => {
      c.errorCode ??= err.code ?? 'error';
    };
    socket.on('error', noteError);
    // The session's error (ECONNREFUSED, ECONNRESET, a protocol error) reaches its streams too, as their cause.
    session.on('error', (err: NodeJS.ErrnoException) => {
      noteError(err);
      this.#retire(c);
    });
    session.on('goaway', () => {
      // node closes the session itself (at once for an error code, once its streams are done for NO_ERROR);
      // streams above the origin's last stream id are refused (REFUSED_STREAM): the exchange retries those.
      c.goaway = true;
      this.#retire(c);
    });
    session.on('close', () => this.#retire(c));
    socket.on('finish', () => {
      setTimeout(() => socket.destroy(), LINGER_MS).unref();
    });
    socket.once('close', () => this.#onClose(c));
    return c;
  }

  /** No new stream goes on `c` any more. */
  #retire(c: H2cSession): void {
    c.draining = true;
    if (this.#current === c) this.#current = null;
  }

  #streamClosed(c: H2cSession): void {
    if (--c.active > 0) return;
    c.idleSince = performance.now();
    if (c.session.destroyed) return;
    c.session.unref();
    if (c.draining) return;
    this.#armIdle(c);
  }

  /** One timer per session, armed when it goes idle; a session busy when it fires is looked at again when next idle. */
  #armIdle(c: H2cSession): void {
    if (c.idleTimer !== null) return;
    const left = c.idleSince + this.#s.poolIdleTimeout - performance.now();
    c.idleTimer = setTimeout(() => this.#idleCheck(c), Math.max(1, Math.ceil(left)));
    c.idleTimer.unref();
  }

  #idleCheck(c: H2cSession): void {
    c.idleTimer = null;
    if (c.draining || c.active > 0 || c.session.closed) return;
    if (performance.now() - c.idleSince < this.#s.poolIdleTimeout) {
      this.#armIdle(c);
      return;
    }
    c.reason ??= 'pool-idle-timeout';
    this.#retire(c);
    c.session.close();
  }

  /** The one place a session leaves `open`: its socket's 'close'. */
  #onClose(c: H2cSession): void {
    this.#sessions.delete(c);
    this.#retire(c);
    if (c.idleTimer !== null) clearTimeout(c.idleTimer);
    if (c.connectTimer !== null) clearTimeout(c.connectTimer);
    c.idleTimer = null;
    c.connectTimer = null;
    if (!c.session.destroyed) c.session.destroy();
    if (c.localPort === null) return;
    // Nothing here decided it: the origin's GOAWAY is its orderly close (a FIN's peer-closed); a session that
    // ended without an error and without our word was ended by the origin too; errors and resets as on a socket.
    const peerEnded = c.goaway || c.errorCode === null;
    this.#hooks.closed(c, c.reason ?? closeReason({ errorCode: c.errorCode, peerEnded, shuttingDown: this.#closing }));
  }
}
