import { connect, createServer, type OnReadOpts, type Socket } from 'node:net';
import { LabError, Recorder, ServerBase, closeReason, formatEndpoint, type CloseReason, type Endpoint } from '@keepalive-lab/core';

export interface L4ProxyOptions {
  /** Where the proxy listens; default 127.0.0.1:0 (any free port). */
  listen?: Endpoint;
  /** Origins to forward to, taken in turn (round-robin) for each upstream connection. */
  targets: Endpoint[];
  /** Where connection events go; default a recorder that keeps nothing. */
  recorder?: Recorder;
  /** `proxy` field of every event; default the kind ('naive-l4', 'pipe-l4'). */
  name?: string;
}

/**
 * One side of a proxied connection. `reason` is what the proxy decided for
 * this side (server-close, upstream-closed, client-closed); the peer's FIN and
 * the first socket error are kept as facts, and core's `closeReason` names the
 * close from them. A reason set after this side had already seen the peer's
 * FIN or error is not the proxy's decision: the peer closed first.
 */
export interface ClientConn {
  readonly id: number;
  /** Read at accept: Node forgets `remotePort` once the socket is destroyed. */
  readonly port: number | null;
  readonly socket: Socket;
  reason: CloseReason | null;
  /** The first error this socket emitted, recorded in `errors`. */
  error: Error | null;
  /** The peer's FIN arrived. */
  peerEnded?: boolean;
  /** `reason` as it stood when the peer's first FIN or error arrived; undefined until then. */
  reasonAtPeer?: CloseReason | null;
}

export interface UpstreamConn {
  readonly id: number;
  /** Read on connect: the port the origin sees as remote port. */
  localPort: number | null;
  readonly target: string;
  readonly socket: Socket;
  readonly client: ClientConn;
  reason: CloseReason | null;
  error: Error | null;
  peerEnded?: boolean;
  reasonAtPeer?: CloseReason | null;
}

const DEFAULT_LISTEN: Endpoint = { host: '127.0.0.1', port: 0 };

/**
 * What both L4 forwarders share, as undici's pool-base serves its pools:
 * accepting and opening sockets, tracking them (ServerBase), numbering them,
 * and recording open/close events with ports read at open time. The
 * subclasses only decide how bytes move between the two sides (`serve`).
 *
 * Per connection this costs a few closures and one event per open/close;
 * nothing here runs per chunk.
 */
export abstract class L4ProxyBase extends ServerBase {
  readonly name: string;
  readonly recorder: Recorder;
  readonly #targets: { endpoint: Endpoint; label: string }[];
  readonly #allowHalfOpen: boolean;
  readonly #errors = new Map<string, number>();
  /** Lets endSocket() (called by ServerBase.close) find the side a socket belongs to. */
  readonly #sides = new WeakMap<Socket, ClientConn | UpstreamConn>();
  #nextTarget = 0;
  #nextClientConn = 1;
  #nextUpstreamConn = 1;

  protected constructor(options: L4ProxyOptions, kind: string, allowHalfOpen: boolean) {
    if (!Array.isArray(options.targets) || options.targets.length === 0) {
      throw new LabError('LAB_ERR_USAGE', `${kind}: targets must list at least one host:port`, {
        path: 'targets',
        expected: 'host:port[,host:port...]',
      });
    }
    // noDelay: a request written in two pieces (headers, body) must not wait
    // for Nagle + delayed ACK (~40 ms) at each hop; that would be the proxy's
    // latency, not keep-alive's.
    super(createServer({ allowHalfOpen, noDelay: true }), { listen: options.listen ?? DEFAULT_LISTEN });
    this.name = options.name ?? kind;
    this.recorder = options.recorder ?? new Recorder({ keep: false });
    this.#allowHalfOpen = allowHalfOpen;
    this.#targets = options.targets.map((endpoint) => ({ endpoint, label: formatEndpoint(endpoint) }));
    this.server.on('connection', (socket: Socket) => this.serve(this.#accept(socket)));
  }

  /** Socket errors seen on either side, by code (ECONNREFUSED, ECONNRESET...). */
  get errors(): ReadonlyMap<string, number> {
    return this.#errors;
  }

  /** How bytes move between a client and its upstream(s): the only thing the two forwarders disagree on. */
  protected abstract serve(client: ClientConn): void;

  /**
   * Opens an upstream connection for `client` to the next target in turn.
   * With `onread`, the socket reads into that buffer and hands each read to
   * its callback instead of emitting 'data' (node's `onread` option: no
   * buffer allocated per read; 'end' still comes at EOF).
   */
  protected openUpstream(client: ClientConn, onread?: OnReadOpts): UpstreamConn {
    const target = this.#targets[this.#nextTarget % this.#targets.length];
    if (target === undefined) throw new LabError('LAB_ERR_INTERNAL', `${this.name}: no target to forward to`);
    this.#nextTarget++;
    const { host, port } = target.endpoint;
    const socket = connect({ host, port, allowHalfOpen: this.#allowHalfOpen, noDelay: true, ...(onread === undefined ? {} : { onread }) });
    const up: UpstreamConn = {
      id: this.#nextUpstreamConn++,
      localPort: null,
      target: target.label,
      socket,
      client,
      reason: null,
      error: null,
    };
    this.track(socket);
    this.#sides.set(socket, up);
    socket.once('connect', () => {
      up.localPort = socket.localPort ?? null;
      this.recorder.record({
        event: 'upstream-open',
        source: 'proxy',
        t: this.recorder.now(),
        proxy: this.name,
        upstreamConn: up.id,
        localPort: up.localPort,
        target: up.target,
        clientConn: client.id,
      });
    });
    this.#watch(up, (reason) => {
      // A refused or failed connect closes without an upstream-open: the
      // close (reason 'error', localPort null) is the record of the attempt.
      const r = this.recorder;
      r.record({
        event: 'upstream-close',
        source: 'proxy',
        t: r.now(),
        proxy: this.name,
        upstreamConn: up.id,
        localPort: up.localPort,
        target: up.target,
        reason,
      });
    });
    return up;
  }

  /** ServerBase.close() ends every socket here: that, not the peer, is why they close. */
  protected override endSocket(socket: Socket): void {
    const side = this.#sides.get(socket);
    if (side) side.reason ??= 'server-close';
    socket.end();
  }

  #accept(socket: Socket): ClientConn {
    const client: ClientConn = { id: this.#nextClientConn++, port: socket.remotePort ?? null, socket, reason: null, error: null };
    this.track(socket);
    this.#sides.set(socket, client);
    this.recorder.record({
      event: 'client-open',
      source: 'proxy',
      t: this.recorder.now(),
      proxy: this.name,
      clientConn: client.id,
      clientPort: client.port,
    });
    this.#watch(client, (reason) => {
      const r = this.recorder;
      r.record({
        event: 'client-close',
        source: 'proxy',
        t: r.now(),
        proxy: this.name,
        clientConn: client.id,
        clientPort: client.port,
        reason,
      });
    });
    return client;
  }

  /**
   * How either side's close reason is settled: 'end' and 'error' note facts
   * (and freeze what the proxy had decided by then); at 'close', core's
   * `closeReason` names it and `closed` records it.
   */
  #watch(side: ClientConn | UpstreamConn, closed: (reason: CloseReason) => void): void {
    const socket = side.socket;
    socket.once('end', () => {
      side.peerEnded = true;
      if (side.reasonAtPeer === undefined) side.reasonAtPeer = side.reason;
    });
    socket.on('error', (err) => {
      if (side.reasonAtPeer === undefined) side.reasonAtPeer = side.reason;
      this.recordError(side, err);
    });
    socket.once('close', () =>
      closed(
        closeReason({
          localReason: side.reasonAtPeer === undefined ? side.reason : side.reasonAtPeer,
          errorCode: side.error === null ? null : ((side.error as NodeJS.ErrnoException).code ?? side.error.name),
          peerEnded: side.peerEnded === true,
          shuttingDown: this.closing,
        }),
      ),
    );
  }

  /**
   * Every socket error lands here and is recorded, never dropped: counted by
   * code and the first kept as a fact for the side's close reason. Node
   * destroys the socket after 'error', so its 'close' event follows.
   */
  protected recordError(side: ClientConn | UpstreamConn, err: NodeJS.ErrnoException): void {
    side.error ??= err;
    const code = err.code ?? err.name;
    this.#errors.set(code, (this.#errors.get(code) ?? 0) + 1);
  }
}
