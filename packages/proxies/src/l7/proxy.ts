import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { closeReason } from '@keepalive-lab/core';
import { clientHearsAnswer, rawErrorResponse, type ProxyStatus } from '../l7-kit/errors-responses.js';
import { Exchange, type ClientConn, type ExchangeContext } from './exchange.js';
import { checkRequestFraming } from '../l7-kit/framing.js';
import { L7Base, type L7Stats } from '../l7-kit/l7-base.js';
import type { ResolvedL7Options } from '../l7-kit/options.js';
import { H2cUpstream } from './h2c-upstream.js';

/** Parser errors answered with a status; the rest are 400. */
const CLIENT_ERROR_STATUS: Record<string, ProxyStatus> = {
  HPE_HEADER_OVERFLOW: 431,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
};

/** ms a rejected connection may drain before it is destroyed (lets the client read the answer). */
const REJECT_LINGER_MS = 500;

/** The L7 engine on node's http server (index.ts says why); what it shares with l7-fast is in ../l7-kit/ (l7-base.ts). */
export class L7Proxy extends L7Base<ClientConn> implements ExchangeContext {
  /** upstreamProtocol h2c: one HTTP/2 upstream per target (h2c-upstream.ts), used instead of its pool; null for HTTP/1.1. */
  readonly #h2c: H2cUpstream[] | null;

  constructor(options: ResolvedL7Options) {
    const server: Server = createServer({
      maxHeaderSize: options.maxHeaderSize,
      insecureHTTPParser: false,
      requireHostHeader: false, // framing.ts answers it, so it is counted and recorded
      noDelay: true,
      // node checks header deadlines on this interval: keep it well under the timeout.
      connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(options.headerTimeout / 4))),
      headersTimeout: options.headerTimeout,
      // Whole-request deadline off: a long upload is fine while bytes flow (clientTimeout).
      requestTimeout: 0,
    });
    super(server, options, { engineReadsIdle: false });
    server.keepAliveTimeout = options.clientKeepAliveTimeout;
    server.timeout = options.clientTimeout;
    // One above the limit, so framing.ts sees an over-long list instead of node truncating it.
    server.maxHeadersCount = options.maxHeaderCount + 1;
    server.on('connection', this.#onConnection);
    server.on('request', this.#onRequest);
    server.on('clientError', this.#onClientError);
    // An Upgrade request reaches 'request' (no 'upgrade' listener: node serves it as a plain one);
    // CONNECT comes here, or node would destroy the socket without a word.
    server.on('connect', this.#onConnect);
    const hooks = this.upstreamHooks();
    this.#h2c =
      options.upstreamProtocol === 'h2c'
        ? this.targets.map(
            (t) =>
              new H2cUpstream(
                { target: t.endpoint, poolIdleTimeout: options.poolIdleTimeout, upstreamTimeout: options.upstreamTimeout },
                hooks(t.label),
              ),
          )
        : null;
  }

  h2c(target: number): H2cUpstream | null {
    return this.#h2c?.[target] ?? null;
  }

  /** With h2c the pools stay empty: open upstream sockets are open sessions, idle ones those with no stream open. */
  override stats(): L7Stats {
    const s = super.stats();
    for (const h of this.#h2c ?? []) {
      s.upstreamConnections += h.opened;
      s.upstreamReuses += h.reuses;
      s.openUpstreamSockets += h.open;
      s.idleUpstreamSockets += h.idle;
    }
    return s;
  }

  /** Every h2c session is closed too (GOAWAY, then its socket once its streams are done; ServerBase's grace for the rest). */
  override async close(): Promise<void> {
    for (const h of this.#h2c ?? []) h.close();
    await super.close();
  }

  /** At close(): idle clients are ended now, busy ones after their last answer; upstream sockets are the pools' business. */
  protected override endSocket(socket: Socket): void {
    const c = this.clients.get(socket);
    if (c === undefined) return;
    c.reason ??= 'server-close';
    if (c.inFlight === 0) socket.end();
    else c.closeWhenIdle = true;
  }

  done(client: ClientConn): void {
    client.inFlight--;
    if (client.inFlight > 0) return;
    if (client.refusal !== null) this.#refuse(client, client.refusal);
    else if (client.closeWhenIdle) client.socket.end();
  }

  /** The connection's last bytes: the proxy's own answer, then close (drained, then destroyed). */
  #refuse(c: ClientConn, answer: Buffer): void {
    c.refusal = null;
    c.socket.end(answer);
    setTimeout(() => c.socket.destroy(), REJECT_LINGER_MS).unref();
  }

  /**
   * CONNECT (framing.ts refuses it: 501). node has handed us the socket, its
   * parser gone: the answers in flight before it go out first (done() writes
   * the 501 after the last), nothing after it is read, then the connection closes.
   */
  readonly #onConnect = (req: IncomingMessage, socket: Socket): void => {
    const c = this.clients.get(socket);
    if (c === undefined || c.last !== null) {
      // Behind the connection's last request: never answered (node closes after that answer).
      if (c === undefined) socket.destroy();
      return;
    }
    const f = checkRequestFraming(req, this.options.maxHeaderCount);
    const status = (f.reject?.status ?? 501) as ProxyStatus;
    this.recordReject(c, f.id, status, f.reject?.why ?? 'connect');
    c.last = req;
    c.reason ??= 'connection-close';
    const answer = rawErrorResponse(status);
    if (c.inFlight === 0) this.#refuse(c, answer);
    else c.refusal = answer;
  };

  readonly #onConnection = (socket: Socket): void => {
    const c = this.accept(
      socket,
      (id): ClientConn => ({
        id,
        socket,
        port: socket.remotePort ?? null,
        ip: socket.remoteAddress ?? '',
        inFlight: 0,
        lastTarget: null,
        reason: null,
        closeWhenIdle: false,
        current: null,
        last: null,
        refusal: null,
      }),
    );
    let sawEnd = false;
    let errorCode: string | null = null;
    socket.on('end', () => {
      sawEnd = true;
    });
    // node's server handles the error itself (clientError); this only remembers why.
    socket.on('error', (err: NodeJS.ErrnoException) => {
      errorCode ??= err.code ?? 'error';
    });
    socket.on('timeout', () => {
      if (c.inFlight === 0) c.reason ??= 'idle-timeout';
    });
    socket.once('close', () => {
      this.clientClosed(c, closeReason({ localReason: c.reason, errorCode, peerEnded: sawEnd, shuttingDown: this.closing }));
    });
  };

  readonly #onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const c = this.clients.get(req.socket);
    if (c === undefined) {
      // Not reachable: 'connection' precedes every request. Refuse rather than guess.
      res.destroy();
      return;
    }
    // Behind the connection's last request (node parses on): never forwarded, never answered; node
    // closes after the last answer, and this response, queued behind it, is never written.
    if (c.last !== null) return;
    c.inFlight++;
    new Exchange(this, c, req, res).start();
  };

  /**
   * The parser refused the bytes (or the head timed out). Answer on the raw
   * socket unless a response is already under way there (pipelining): our
   * bytes would land inside it, so that connection is just destroyed. A
   * client that is gone (its FIN or reset mid-request) is not answered at
   * all (l7-kit/errors-responses.ts, clientHearsAnswer).
   */
  readonly #onClientError = (err: NodeJS.ErrnoException, socket: Socket): void => {
    const c = this.clients.get(socket);
    if (c === undefined || c.reason === 'connection-close') {
      // A second error from the same dead parser: already answered.
      return;
    }
    // Bytes behind the connection's last request, read whole (llhttp refuses any after a `close`
    // one: HPE_CLOSED_CONNECTION): never read; that request keeps its answer, then node closes.
    if (c.last?.complete === true) return;
    const code = err.code ?? 'error';
    if (!clientHearsAnswer(socket, code)) {
      // The client ended or reset its side mid-request (HPE_INVALID_EOF_STATE, ECONNRESET), or the socket
      // can no longer be written: no answer, no reject; the close is recorded as the client's (peer-closed...).
      socket.destroy();
      return;
    }
    const status = CLIENT_ERROR_STATUS[code] ?? 400;
    c.reason = 'connection-close';
    if (c.inFlight > 0) {
      // Bad bytes inside a body being streamed: that exchange answers, if it still can.
      if (c.inFlight === 1 && c.current?.failFromClient(status, code) === true) return;
      this.recordReject(c, null, status, code);
      socket.destroy();
      return;
    }
    this.recordReject(c, null, status, code);
    socket.end(rawErrorResponse(status));
    setTimeout(() => socket.destroy(), REJECT_LINGER_MS).unref();
  };
}
