import { createServer, type Server as HttpServer } from 'node:http';
import { createServer as createH2cServer, type Http2Server } from 'node:http2';
import { createServer as createNetServer, type Socket } from 'node:net';
import { ServerBase, type Endpoint, type Recorder } from '@keepalive-lab/core';
import { openConnection } from './connection.js';
import { newCounters, type OriginContext, type OriginCounters } from './context.js';
import { closeWindowOnIdle, planFaults } from './faults/index.js';
import { serveFast } from './fast/serve.js';
import { serveH2c } from './h2c.js';
import { createRequestHandler } from './handler.js';
import { idleCloseBuffer } from './idle-close-buffer.js';
import { resolveOriginOptions, type OriginOptions, type ResolvedOriginOptions } from './options.js';
import { makeBody } from './response.js';

/**
 * The port-tracking origin: a plain node:http server, so keep-alive behaves
 * exactly as node's does (idle close at keepAliveTimeout + 1000 ms, the
 * `Keep-Alive: timeout=N` hint, maxRequestsPerSocket), that stamps every
 * response with the remote port, connection id and nth request it saw.
 * Two knobs bend node's idle close, each in its own file and absent at its
 * default: idleCloseBuffer moves it (idle-close-buffer.ts), closeWindow
 * delays it and drops what arrives meanwhile (faults/close-window.ts).
 * With `protocol: 'h2c'` the server is node:http2's instead, wired in h2c.ts
 * (same records, stamps and counters; idle close and request cap told in
 * GOAWAYs); with `engine: 'fast'` a net server read by llhttp, wired in
 * fast/serve.ts (same records, stamps, counters and keep-alive rules, written
 * out): this class only chooses.
 */
export class Origin extends ServerBase {
  readonly name: string;
  readonly options: Readonly<ResolvedOriginOptions>;
  readonly recorder: Recorder;
  readonly #ctx: OriginContext;
  #downTimer: NodeJS.Timeout | null = null;
  #outageBegun = false;
  /** The h2c side (h2c.ts) or the fast engine (fast/serve.ts); null for node:http, which this class wires itself. */
  readonly #other: { endSocket(socket: Socket): void; stop?(): void } | null;

  constructor(options: OriginOptions = {}) {
    const resolved = resolveOriginOptions(options);
    const h2c: Http2Server | null = resolved.protocol === 'h2c' ? createH2cServer() : null;
    // allowHalfOpen: the fast engine sees the peer's FIN itself, before ending its side (as node:http's server does).
    const fast = resolved.engine === 'fast' ? createNetServer({ allowHalfOpen: true }) : null;
    super(h2c ?? fast ?? createServer(), { listen: resolved.listen });
    this.name = resolved.name;
    this.options = resolved;
    this.recorder = resolved.recorder;
    this.#ctx = {
      options: resolved,
      recorder: resolved.recorder,
      template: { name: resolved.name, body: makeBody(resolved.responseBytes), keepAlive: resolved.keepAlive },
      faults: planFaults(resolved),
      counters: newCounters(),
      connections: new WeakMap(),
      lastConnId: 0,
      closing: false,
    };
    const track = (socket: Socket): void => this.track(socket);
    this.#other = h2c !== null ? serveH2c(h2c, this.#ctx, track) : fast !== null ? serveFast(fast, this.#ctx, track) : null;
    if (this.#other !== null) return;
    const server = this.server as HttpServer;
    // Node's own knobs, not reimplemented: the lab shows what node does.
    server.keepAliveTimeout = resolved.keepAliveTimeout;
    server.maxRequestsPerSocket = resolved.maxRequestsPerSocket;
    // Registered after node's own 'connection' listener, so node's socket
    // listeners always run before ours (see openConnection).
    server.on('connection', (socket: Socket) => {
      this.track(socket);
      openConnection(this.#ctx, socket);
    });
    // Each response's 'finish' listener it adds runs after node's own, added before 'request' is emitted.
    const rearm = idleCloseBuffer(resolved.keepAliveTimeout, resolved.idleCloseBuffer);
    if (rearm !== null) server.on('request', rearm);
    server.on('request', createRequestHandler(this.#ctx));
    // A server 'timeout' listener stops node destroying timed-out sockets: only with a window.
    const onIdle = closeWindowOnIdle(this.#ctx);
    if (onIdle !== null) server.on('timeout', onIdle);
  }

  /**
   * With `faults.downFor`, the origin binds (so its port is known and a proxy
   * can be pointed at it), then the outage begins: at once, or on
   * beginOutage() with `faults.outageOnCue`.
   */
  override async listen(): Promise<Endpoint> {
    const bound = await super.listen();
    if (!this.options.faults.outageOnCue) await this.beginOutage();
    return bound;
  }

  /**
   * Closes the listener and reopens it on the same port after `downFor` ms:
   * connections in between are refused. Once only; nothing without downFor.
   */
  async beginOutage(): Promise<void> {
    const downFor = this.options.faults.downFor;
    const bound = this.endpoint;
    if (downFor === 0 || bound === null || this.#outageBegun) return;
    this.#outageBegun = true;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.#fault('down');
    this.#downTimer = setTimeout(() => {
      this.#downTimer = null;
      if (this.#ctx.closing) return;
      this.server.listen(bound.port, bound.host, () => this.#fault('up'));
    }, downFor);
  }

  #fault(fault: string): void {
    this.recorder.record({ event: 'fault', source: 'origin', t: this.recorder.now(), origin: this.name, conn: 0, id: null, fault });
  }

  /** A snapshot of the live counters. */
  get counters(): OriginCounters {
    return { ...this.#ctx.counters };
  }

  override close(): Promise<void> {
    this.#ctx.closing = true;
    if (this.#downTimer !== null) clearTimeout(this.#downTimer);
    this.#other?.stop?.();
    return super.close();
  }

  /**
   * At close(): node's server.close() has already destroyed idle keep-alive
   * sockets (closeIdleConnections). An idle one left is ended; a busy one
   * gets its answer with `Connection: close`, then node ends it; a silent one
   * is destroyed when the grace period runs out. h2c: each session gets a
   * GOAWAY and closes once its open streams are answered (h2c.ts). Fast: the
   * same as node's, by fast/connection.ts.
   */
  protected override endSocket(socket: Socket): void {
    if (this.#other !== null) {
      this.#other.endSocket(socket);
      return;
    }
    const conn = this.#ctx.connections.get(socket);
    if (conn === undefined) {
      socket.end();
      return;
    }
    conn.reason ??= 'server-close';
    if (conn.idle) socket.end();
  }
}

export function createOrigin(options: OriginOptions = {}): Origin {
  return new Origin(options);
}
