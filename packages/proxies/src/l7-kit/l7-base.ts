import type { Server, Socket } from 'node:net';
import { formatEndpoint, ServerBase, type CloseReason, type Endpoint, type Recorder } from '@keepalive-lab/core';
import { Balancer } from './balancer.js';
import type { ResolvedL7Options } from './options.js';
import { UpstreamPool, type PoolHooks, type UpstreamConnRef } from './upstream-pool.js';

/** One origin of the proxy, with its pool. */
export interface Target {
  readonly endpoint: Endpoint;
  /** `host:port`, as events name it. */
  readonly label: string;
  readonly pool: UpstreamPool;
}

/** Counters for runs and reports (the metric names of docs/reference.md in comments). */
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

/** What the base needs of an engine's client connection. */
export interface L7BaseClient {
  readonly id: number;
  readonly socket: Socket;
  readonly port: number | null;
}

/** What a `forward` event names of an engine's exchange. */
export interface ForwardedExchange {
  readonly id: string | null;
  readonly client: { readonly id: number };
  readonly target: number;
  readonly attempt: number;
}

/** What an exchange of either engine needs from the proxy that owns it; L7Base provides all of it. */
export interface L7Context {
  readonly options: ResolvedL7Options;
  /** `1.1 <name>`. */
  readonly via: string;
  readonly targets: Target[];
  readonly balancer: Balancer;
  readonly closing: boolean;
  countRetry(): void;
  recordForward(ex: ForwardedExchange, conn: UpstreamConnRef | null, reused: boolean): void;
  recordReject(client: { readonly id: number }, id: string | null, status: number, why: string): void;
}

/**
 * What both L7 engines (l7: node:http server; l7-fast: net server + llhttp)
 * share, as undici's pool-base serves its pools: targets and their pools
 * built from the options, the counters and stats(), the events recorded
 * outside an exchange, and a close() that returns only once every client
 * and pooled socket has emitted 'close'. An engine keeps how it parses and
 * how its clients end.
 */
export abstract class L7Base<C extends L7BaseClient> extends ServerBase implements L7Context {
  readonly options: ResolvedL7Options;
  /** `1.1 <name>`. */
  readonly via: string;
  readonly targets: Target[];
  readonly balancer: Balancer;
  protected readonly recorder: Recorder;
  /** Client connections open now, by socket; an engine removes one with clientClosed(). */
  protected readonly clients = new Map<Socket, C>();
  #clientIds = 0;
  #upstreamIds = 0;
  #clientConnections = 0;
  #retries = 0;
  #rejects = 0;

  /** `engineReadsIdle`: see PoolSettings; l7-fast's parsers read idle pooled sockets, node's client does not. */
  protected constructor(server: Server, options: ResolvedL7Options, engine: { engineReadsIdle: boolean }) {
    super(server, { listen: options.listen, closeGraceMs: options.closeGraceMs });
    this.options = options;
    this.via = `1.1 ${options.name}`;
    this.recorder = options.recorder;
    this.balancer = new Balancer(options.balance, options.targets.length);
    const hooks = this.upstreamHooks();
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
          engineReadsIdle: engine.engineReadsIdle,
        },
        hooks(label),
      );
      return { endpoint, label, pool };
    });
  }

  /** The `proxy` field of its events (LabProxy). */
  get name(): string {
    return this.options.name;
  }

  /** Public: exchanges read it to stop retrying and pooling. */
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
      openClientConnections: this.clients.size,
    };
  }

  /** Client and pooled sockets are all tracked: ServerBase.close() waits for each one's 'close' event. */
  override async close(): Promise<void> {
    for (const t of this.targets) t.pool.close();
    await super.close();
  }

  countRetry(): void {
    this.#retries++;
  }

  recordForward(ex: ForwardedExchange, conn: UpstreamConnRef | null, reused: boolean): void {
    const r = this.recorder;
    // One per request: not even built when nothing keeps or reads it (the bench's recorder).
    if (!r.keep && !r.hasListeners) return;
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

  recordReject(client: { readonly id: number }, id: string | null, status: number, why: string): void {
    this.#rejects++;
    const r = this.recorder;
    r.record({ event: 'reject', source: 'proxy', t: r.now(), proxy: this.options.name, id, clientConn: client.id, status, why });
  }

  /** A client connection is gone: it leaves `clients` and its close is recorded. */
  clientClosed(c: C, reason: CloseReason): void {
    this.clients.delete(c.socket);
    const r = this.recorder;
    r.record({
      event: 'client-close',
      source: 'proxy',
      t: r.now(),
      proxy: this.options.name,
      clientConn: c.id,
      clientPort: c.port,
      reason,
    });
  }

  /** An accepted socket: tracked, counted, its client made (`make` gets the new id) and its open recorded. */
  protected accept(socket: Socket, make: (id: number) => C): C {
    this.track(socket);
    const c = make(++this.#clientIds);
    this.clients.set(socket, c);
    this.#clientConnections++;
    const r = this.recorder;
    r.record({ event: 'client-open', source: 'proxy', t: r.now(), proxy: this.options.name, clientConn: c.id, clientPort: c.port });
    return c;
  }

  /**
   * What an upstream connection of a target tells the proxy: tracking, ids,
   * and its upstream-open and upstream-close events. The pools get it; so
   * does an engine's own upstream of another protocol (l7's h2c sessions),
   * so its events and ids are the pools'.
   */
  protected upstreamHooks(): (label: string) => PoolHooks {
    const r = this.recorder;
    const proxy = this.options.name;
    return (target) => ({
      track: (socket) => this.track(socket),
      nextConnId: () => ++this.#upstreamIds,
      opened: (c) => {
        r.record({
          event: 'upstream-open',
          source: 'proxy',
          t: r.now(),
          proxy,
          upstreamConn: c.id,
          localPort: c.localPort,
          target,
          clientConn: null,
        });
      },
      closed: (c, reason) => {
        r.record({
          event: 'upstream-close',
          source: 'proxy',
          t: r.now(),
          proxy,
          upstreamConn: c.id,
          localPort: c.localPort,
          target,
          reason,
        });
      },
    });
  }
}
