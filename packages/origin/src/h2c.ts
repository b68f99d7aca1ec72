import type { Http2Server, OutgoingHttpHeaders, ServerHttp2Session } from 'node:http2';
import type { Socket } from 'node:net';
import { closeReason as classifyClose, LAB_HEADERS, LabError, type CloseReason } from '@keepalive-lab/core';
import { connectionClosed, connectionOpened, type OriginContext } from './context.js';
import { createStreamHandler } from './h2c-stream.js';
import { idleCloseAfter } from './idle-close-buffer.js';
import { connectionHeaders } from './response.js';

/**
 * The h2c origin: node:http2's cleartext server with prior knowledge, one TCP
 * connection (one HTTP/2 session) carrying many streams. Its records mean
 * what the HTTP/1.1 origin's mean, so every metric read off them holds:
 * `conn-open`/`conn-close` per TCP connection (its remote port, the requests
 * answered on it, a core close reason), a `request` per stream with `nth` =
 * the stream's number on its connection in arrival order (1, 2, 3..., not the
 * odd HTTP/2 stream id) and the same `x-lab-*` stamps (lower case: HTTP/2
 * names are).
 *
 * Node's http2 server has no keep-alive timer or request cap of its own, so
 * both are here, told in HTTP/2's terms (GOAWAY, then close):
 *
 * - Idle: a session with no open stream is idle, from the moment it opens
 *   (HTTP/2 has no request-header timeout to stand in for a first request)
 *   and after each stream closes; the next stream disarms the timer. It
 *   closes the session at keepAliveTimeout + idleCloseBuffer, the very total
 *   the HTTP/1.1 origin closes an idle socket at (node's +1 s by default), so
 *   switching `protocol` alone never moves the idle close and every formula a
 *   scenario writes over it still holds. The buffer exists in node for
 *   clients trusting the `Keep-Alive: timeout=N` hint; HTTP/2 sends no hint
 *   (connection-specific headers are forbidden) and its GOAWAY makes the
 *   close safe (a stream crossing it is refused, retryable), but one rule for
 *   both protocols beats a second one to remember. keepAliveTimeout 0: no
 *   idle close (node's meaning). Recorded as `idle-timeout`. Only streams
 *   count: a PING keeps nothing alive.
 * - maxRequestsPerSocket N: when the Nth stream arrives, GOAWAY (last stream
 *   id = that stream's): the N streams are answered, the client opens a new
 *   session for the next request, and the session closes once they are done
 *   (`max-requests`), as nginx's http2 keepalive_requests does. A stream the
 *   client sent before the GOAWAY reached it is refused (REFUSED_STREAM, safe
 *   to retry, RFC 9113 §8.7): never seen here, never counted.
 *
 * The HTTP/1.1-only knobs (faults, closeWindow, keepAlive: false, the hint,
 * downFor) are refused before a server exists (options.ts H2C_REFUSED).
 */
export interface H2cServing {
  /** At close(): GOAWAY on the socket's session (busy streams finish), named `server-close`. */
  endSocket(socket: Socket): void;
}

/** One TCP connection of the h2c origin: its HTTP/2 session and what the records need. */
export class H2cConnection {
  /** Streams that arrived; the latest one's nth. */
  received = 0;
  /** Responses written in full: `requests` in conn-close. */
  answered = 0;
  /** Streams not yet closed: 0 = idle. */
  open = 0;
  /** Why this side ended it (idle-timeout, max-requests, server-close); the first one set wins. */
  reason: CloseReason | null = null;
  /** The peer went first: its GOAWAY, or its FIN before this side ended its half. */
  peerEnded = false;
  /** Code of the first socket or session error (ECONNRESET...). */
  errorCode: string | null = null;
  idleTimer: NodeJS.Timeout | null = null;
  /** The response headers, fixed for the connection but the nth (`x-lab-origin-nth`). */
  readonly #headers: OutgoingHttpHeaders;

  constructor(
    readonly id: number,
    readonly remotePort: number | null,
    readonly socket: Socket,
    readonly session: ServerHttp2Session,
    headers: OutgoingHttpHeaders,
  ) {
    this.#headers = headers;
  }

  /** This connection's response headers, stamped with the nth; respond() serialises them at once, so one object serves all. */
  headersFor(nth: number): OutgoingHttpHeaders {
    this.#headers[LAB_HEADERS.originNth] = nth;
    return this.#headers;
  }

  /** GOAWAY and close once the open streams are done; `reason` names it unless one is set already. */
  goAway(reason: CloseReason): void {
    this.reason ??= reason;
    this.disarm();
    if (!this.session.closed && !this.session.destroyed) this.session.close();
  }

  disarm(): void {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }
}

/**
 * Wires an http2 server to the origin's context: sessions, streams, idle
 * timer and request cap. `track` hands each accepted socket to ServerBase.
 */
export function serveH2c(server: Http2Server, ctx: OriginContext, track: (socket: Socket) => void): H2cServing {
  const bySocket = new WeakMap<Socket, H2cConnection>();
  const bySession = new WeakMap<ServerHttp2Session, H2cConnection>();
  const { keepAliveTimeout, idleCloseBuffer, maxRequestsPerSocket } = ctx.options;
  const idleAfter = idleCloseAfter(keepAliveTimeout, idleCloseBuffer);
  const arm = (conn: H2cConnection): void => {
    if (idleAfter === null || conn.open > 0 || ctx.closing) return;
    conn.disarm();
    // A module function, not a closure per stream close.
    conn.idleTimer = setTimeout(idleFired, idleAfter, conn);
    // The socket keeps the process alive while it matters.
    conn.idleTimer.unref();
  };

  // Node's own 'connection' listener (added by the http2 server's constructor,
  // so first) creates the session and emits 'session' synchronously; this
  // listener, added after, pairs the socket with it. `session.socket` is a
  // proxy that must not be listened on or destroyed: the raw socket is here.
  let justOpened: ServerHttp2Session | null = null;
  server.on('session', (session: ServerHttp2Session) => {
    justOpened = session;
  });
  server.on('connection', (socket: Socket) => {
    const session = justOpened;
    justOpened = null;
    if (session === null) throw new LabError('LAB_ERR_INTERNAL', 'origin (h2c): a connection with no HTTP/2 session');
    track(socket);
    const conn = openSession(ctx, socket, session);
    bySocket.set(socket, conn);
    bySession.set(session, conn);
    arm(conn);
  });

  server.on(
    'stream',
    createStreamHandler(ctx, {
      connectionOf: (session) => bySession.get(session),
      opened(conn) {
        conn.open++;
        conn.disarm();
        // GOAWAY at once: its last stream id is this stream's, so the client sends no more on this session.
        if (maxRequestsPerSocket > 0 && conn.received >= maxRequestsPerSocket) conn.goAway('max-requests');
      },
      closed(conn) {
        conn.open--;
        arm(conn);
      },
    }),
  );

  return {
    endSocket(socket) {
      const conn = bySocket.get(socket);
      if (conn === undefined) socket.end();
      else conn.goAway('server-close');
    },
  };
}

function idleFired(conn: H2cConnection): void {
  conn.idleTimer = null;
  if (conn.open === 0) conn.goAway('idle-timeout');
}

/** Records conn-open, and conn-close with its reason when the TCP connection closes. */
function openSession(ctx: OriginContext, socket: Socket, session: ServerHttp2Session): H2cConnection {
  const remotePort = socket.remotePort ?? null;
  const id = connectionOpened(ctx, remotePort);
  // The HTTP/1.1 stamps as an HTTP/2 header object (names are lower case already; keepAlive is always on with h2c).
  const pairs = connectionHeaders(ctx.template, id, remotePort);
  const headers: OutgoingHttpHeaders = { ':status': 200 };
  for (let i = 0; i < pairs.length; i += 2) headers[String(pairs[i])] = pairs[i + 1];
  const conn = new H2cConnection(id, remotePort, socket, session, headers);

  // The client's GOAWAY (node's client sends one at close()): it went first.
  session.on('goaway', () => {
    conn.peerEnded = true;
  });
  // Node's own listener keeps a session error from being thrown; only note why it ended.
  session.on('error', (err: NodeJS.ErrnoException) => {
    conn.errorCode ??= err.code ?? err.name;
  });
  socket.on('error', (err: NodeJS.ErrnoException) => {
    conn.errorCode ??= err.code ?? err.name;
  });
  // The session reads the socket natively, yet 'end' still comes: a FIN before this side ended its half.
  socket.prependListener('end', () => {
    if (!socket.writableEnded) conn.peerEnded = true;
  });
  socket.once('close', () => {
    conn.disarm();
    connectionClosed(ctx, id, remotePort, conn.answered, () =>
      classifyClose({ localReason: conn.reason, errorCode: conn.errorCode, peerEnded: conn.peerEnded }),
    );
  });
  return conn;
}
