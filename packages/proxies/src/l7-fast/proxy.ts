import { createServer, type Socket } from 'node:net';
import { formatEndpoint, ServerBase, type CloseReason, type Recorder } from '@keepalive-lab/core';
import { Balancer } from '../l7/balancer.js';
import type { Target } from '../l7/exchange.js';
import type { ResolvedL7Options } from '../l7/options.js';
import type { L7Stats } from '../l7/proxy.js';
import { UpstreamPool, type PoolHooks, type UpstreamConn } from '../l7/upstream-pool.js';
import { FastClient } from './client-conn.js';
import type { FastContext } from './context.js';
import type { FastExchange } from './exchange.js';
import { Answers } from './heads.js';
import { UpstreamLink } from './upstream-link.js';

/**
 * The l7-fast proxy: L7Proxy's events, counters and lifecycle on a plain
 * net server. Connections and exchanges do the HTTP (client-conn.ts,
 * exchange.ts); this owns sockets, pools, the head-deadline sweep and the
 * recorder.
 */
export class L7FastProxy extends ServerBase implements FastContext {
  readonly options: ResolvedL7Options;
  readonly via: string;
  readonly targets: Target[];
  readonly balancer: Balancer;
  readonly answers: Answers;
  readonly #recorder: Recorder;
  readonly #clients = new Map<Socket, FastClient>();
  readonly #links = new Map<Socket, UpstreamLink>();
  readonly #sweep: NodeJS.Timeout;
  #clientIds = 0;
  #upstreamIds = 0;
  #clientConnections = 0;
  #retries = 0;
  #rejects = 0;

  constructor(options: ResolvedL7Options) {
    // allowHalfOpen: a client's FIN is handled by FastClient (abandon what is in flight, then end), not by net.
    const server = createServer({ allowHalfOpen: true, noDelay: true });
    super(server, { listen: options.listen, closeGraceMs: options.closeGraceMs });
    this.options = options;
    this.via = `1.1 ${options.name}`;
    this.#recorder = options.recorder;
    this.answers = new Answers(options.clientKeepAliveTimeout);
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
    // Head deadlines are checked on an interval, as node's connectionsCheckingInterval does: no timer per request.
    const every = Math.max(10, Math.min(1000, Math.floor(options.headerTimeout / 4)));
    this.#sweep = setInterval(this.#checkHeads, every);
    this.#sweep.unref();
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
    clearInterval(this.#sweep);
    for (const t of this.targets) t.pool.close();
    await super.close();
    // A socket destroyed a moment ago reads as `closed` before it emits 'close'; wait for the event.
    const left = [...this.#clients.keys(), ...this.targets.flatMap((t) => t.pool.sockets())];
    await Promise.all(left.map((s) => new Promise((resolve) => s.once('close', resolve))));
  }

  /** At close(): idle clients are ended now, busy ones after their last answer; upstream sockets are the pools' business. */
  protected override endSocket(socket: Socket): void {
    this.#clients.get(socket)?.endWhenIdle();
  }

  link(socket: Socket): UpstreamLink {
    let l = this.#links.get(socket);
    if (l === undefined) {
      l = new UpstreamLink(socket, this.options.maxHeaderSize);
      this.#links.set(socket, l);
      socket.once('close', () => this.#links.delete(socket));
    }
    return l;
  }

  countRetry(): void {
    this.#retries++;
  }

  recordForward(ex: FastExchange, conn: UpstreamConn | null, reused: boolean): void {
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

  recordReject(client: FastClient, id: string | null, status: number, why: string): void {
    this.#rejects++;
    const r = this.#recorder;
    r.record({ event: 'reject', source: 'proxy', t: r.now(), proxy: this.options.name, id, clientConn: client.id, status, why });
  }

  clientClosed(c: FastClient, reason: CloseReason): void {
    this.#clients.delete(c.socket);
    const r = this.#recorder;
    r.record({ event: 'client-close', source: 'proxy', t: r.now(), proxy: this.options.name, clientConn: c.id, clientPort: c.port, reason });
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
    const c = new FastClient(this, ++this.#clientIds, socket);
    this.#clients.set(socket, c);
    this.#clientConnections++;
    const r = this.#recorder;
    r.record({ event: 'client-open', source: 'proxy', t: r.now(), proxy: this.options.name, clientConn: c.id, clientPort: c.port });
  };

  readonly #checkHeads = (): void => {
    const now = Date.now();
    const limit = this.options.headerTimeout;
    for (const c of this.#clients.values()) {
      if (c.headStart > 0 && now - c.headStart >= limit) c.headTimedOut();
    }
  };
}
