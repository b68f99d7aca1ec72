import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { formatEndpoint, ServerBase, type CloseReason, type Recorder } from '@keepalive-lab/core';
import { Balancer } from './balancer.js';
import { rawErrorResponse, type ProxyStatus } from './errors-responses.js';
import { Exchange, type ClientConn, type ExchangeContext, type Target } from './exchange.js';
import type { ResolvedL7Options } from './options.js';
import { UpstreamPool, type PoolHooks, type UpstreamConn } from './upstream-pool.js';

/** Counters for runs and reports (DESIGN.md metric names in comments). */
export interface L7Stats {
  /** proxy.clientConnections */
  clientConnections: number;
  /** proxy.upstreamConnections: opened (connected) since start. */
  upstreamConnections: number;
  /** proxy.upstreamReuses: requests sent on a socket that had carried one before. */
  upstreamReuses: number;
  /** proxy.retries */
  retries: number;
  /** Requests the proxy answered itself (400, 408, 431, 502, 504...). */
  rejects: number;
  /** Upstream sockets open now, all targets; never above maxSockets per target. */
  openUpstreamSockets: number;
  /** Of those, idle in the pools. */
  idleUpstreamSockets: number;
  /** Client connections open now. */
  openClientConnections: number;
}

/** Parser errors answered with a status; the rest are 400. */
const CLIENT_ERROR_STATUS: Record<string, ProxyStatus> = {
  HPE_HEADER_OVERFLOW: 431,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
};

/** ms a rejected connection may drain before it is destroyed (lets the client read the answer). */
const REJECT_LINGER_MS = 500;

export class L7Proxy extends ServerBase implements ExchangeContext {
  readonly options: ResolvedL7Options;
  readonly via: string;
  readonly targets: Target[];
  readonly balancer: Balancer;
  readonly #recorder: Recorder;
  readonly #clients = new Map<Socket, ClientConn>();
  #clientIds = 0;
  #upstreamIds = 0;
  #clientConnections = 0;
  #retries = 0;
  #rejects = 0;

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
    super(server, { listen: options.listen, closeGraceMs: options.closeGraceMs });
    this.options = options;
    this.via = `1.1 ${options.name}`;
    this.#recorder = options.recorder;
    server.keepAliveTimeout = options.clientKeepAliveTimeout;
    server.timeout = options.clientTimeout;
    // One above the limit, so framing.ts sees an over-long list instead of node truncating it.
    server.maxHeadersCount = options.maxHeaderCount + 1;
    this.balancer = new Balancer(options.balance, options.targets.length);
    const hooks = this.#poolHooks();
    this.targets = options.targets.map((endpoint) => {
      const label = formatEndpoint(endpoint);
      const pool = new UpstreamPool(
        {
          target: endpoint,
          maxSockets: options.maxSockets,
          maxIdleSockets: options.maxIdleSockets,
          poolIdleTimeout: options.poolIdleTimeout,
          keepAliveHint: options.keepAliveHint,
          keepAliveHintMargin: options.keepAliveHintMargin,
          upstreamTimeout: options.upstreamTimeout,
        },
        hooks(label),
      );
      return { endpoint, label, pool };
    });
    server.on('connection', this.#onConnection);
    server.on('request', this.#onRequest);
    server.on('clientError', this.#onClientError);
  }

  /** The `proxy` field of its events (LabProxy). */
  get name(): string {
    return this.options.name;
  }

  override get closing(): boolean {
    return super.closing;
  }

  stats(): L7Stats {
    let opened = 0;
    let reuses = 0;
    let open = 0;
    let idle = 0;
    for (const t of this.targets) {
      opened += t.pool.opened;
      reuses += t.pool.reuses;
      open += t.pool.open;
      idle += t.pool.idle;
    }
    return {
      clientConnections: this.#clientConnections,
      upstreamConnections: opened,
      upstreamReuses: reuses,
      retries: this.#retries,
      rejects: this.#rejects,
      openUpstreamSockets: open,
      idleUpstreamSockets: idle,
      openClientConnections: this.#clients.size,
    };
  }

  override async close(): Promise<void> {
    for (const t of this.targets) t.pool.close();
    await super.close();
    // A socket destroyed a moment ago reads as `closed` before it emits
    // 'close'; wait for the event, so close() means nothing is left.
    const left = [...this.#clients.keys(), ...this.targets.flatMap((t) => t.pool.sockets())];
    await Promise.all(left.map((s) => new Promise((resolve) => s.once('close', resolve))));
  }

  /** At close(): idle clients are ended now, busy ones after their last answer; upstream sockets are the pools' business. */
  protected override endSocket(socket: Socket): void {
    const c = this.#clients.get(socket);
    if (c === undefined) return;
    c.reason ??= 'server-close';
    if (c.inFlight === 0) socket.end();
    else c.closeWhenIdle = true;
  }

  countRetry(): void {
    this.#retries++;
  }

  done(client: ClientConn): void {
    client.inFlight--;
    if (client.closeWhenIdle && client.inFlight === 0) client.socket.end();
  }

  recordForward(ex: Exchange, conn: UpstreamConn | null, reused: boolean): void {
    const r = this.#recorder;
    r.record({
      event: 'forward',
      source: 'proxy',
      t: r.now(),
      proxy: this.options.name,
      id: ex.id,
      clientConn: ex.client.id,
      upstreamConn: conn === null ? -1 : conn.id,
      localPort: conn === null ? null : conn.localPort,
      target: this.targets[ex.target]?.label ?? '',
      reused,
      attempt: ex.attempt,
    });
  }

  recordReject(client: ClientConn, id: string | null, status: number, why: string): void {
    this.#rejects++;
    const r = this.#recorder;
    r.record({ event: 'reject', source: 'proxy', t: r.now(), proxy: this.options.name, id, clientConn: client.id, status, why });
  }

  #poolHooks(): (label: string) => PoolHooks {
    const r = this.#recorder;
    const proxy = this.options.name;
    return (target) => ({
      track: (socket) => this.track(socket),
      nextConnId: () => ++this.#upstreamIds,
      opened: (c) => {
        r.record({ event: 'upstream-open', source: 'proxy', t: r.now(), proxy, upstreamConn: c.id, localPort: c.localPort, target, clientConn: null });
      },
      closed: (c, reason) => {
        r.record({ event: 'upstream-close', source: 'proxy', t: r.now(), proxy, upstreamConn: c.id, localPort: c.localPort, target, reason });
      },
    });
  }

  readonly #onConnection = (socket: Socket): void => {
    this.track(socket);
    const c: ClientConn = {
      id: ++this.#clientIds,
      socket,
      port: socket.remotePort ?? null,
      ip: socket.remoteAddress ?? '',
      inFlight: 0,
      lastTarget: null,
      reason: null,
      closeWhenIdle: false,
      current: null,
    };
    this.#clients.set(socket, c);
    this.#clientConnections++;
    const r = this.#recorder;
    r.record({ event: 'client-open', source: 'proxy', t: r.now(), proxy: this.options.name, clientConn: c.id, clientPort: c.port });
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
      this.#clients.delete(socket);
      let reason: CloseReason = c.reason ?? 'unknown';
      if (c.reason === null) {
        if (errorCode === 'ECONNRESET' || errorCode === 'EPIPE') reason = 'peer-reset';
        else if (sawEnd) reason = 'peer-closed';
        else if (errorCode !== null) reason = 'error';
        else if (this.closing) reason = 'server-close';
      }
      r.record({ event: 'client-close', source: 'proxy', t: r.now(), proxy: this.options.name, clientConn: c.id, clientPort: c.port, reason });
    });
  };

  readonly #onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const c = this.#clients.get(req.socket);
    if (c === undefined) {
      // Not reachable: 'connection' precedes every request. Refuse rather than guess.
      res.destroy();
      return;
    }
    c.inFlight++;
    new Exchange(this, c, req, res).start();
  };

  /**
   * The parser refused the bytes (or the head timed out). Answer on the raw
   * socket unless a response is already under way there (pipelining): our
   * bytes would land inside it, so that connection is just destroyed.
   */
  readonly #onClientError = (err: NodeJS.ErrnoException, socket: Socket): void => {
    const c = this.#clients.get(socket);
    if (c === undefined || c.reason === 'connection-close') {
      // A second error from the same dead parser: already answered.
      return;
    }
    const code = err.code ?? 'error';
    if (code === 'ECONNRESET' || !socket.writable) {
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
