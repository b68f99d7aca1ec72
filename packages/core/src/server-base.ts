import type { Server } from 'node:net';
import type { Socket } from 'node:net';
import { formatEndpoint, type Endpoint } from './endpoint.js';
import { LabError } from './errors.js';

/** What every server of the lab (origin, proxies) offers its owner. */
export interface LabServer {
  /** Binds; resolves the bound address (port 0 → the real port). */
  listen(): Promise<Endpoint>;
  /** Stops accepting, ends idle sockets, destroys the rest after a grace period. Idempotent. */
  close(): Promise<void>;
  /** The bound address, null before listen(). */
  readonly endpoint: Endpoint | null;
}

export interface ServerBaseOptions {
  listen: Endpoint;
  /** How long close() lets busy sockets finish before destroying them, ms. */
  closeGraceMs?: number;
}

const DEFAULT_CLOSE_GRACE_MS = 500;

/**
 * Listen and close for every server of the lab, as undici's pool-base serves
 * its pools. Each socket a server owns — accepted or opened upstream — is
 * tracked here and leaves the set in exactly one place: its `close` handler.
 */
export class ServerBase implements LabServer {
  readonly #sockets = new Set<Socket>();
  readonly #listenAt: Endpoint;
  readonly #graceMs: number;
  #endpoint: Endpoint | null = null;
  #closing: Promise<void> | null = null;
  /** Set while close() waits for the last tracked socket's 'close' event. */
  #onDrained: (() => void) | null = null;

  constructor(
    protected readonly server: Server,
    options: ServerBaseOptions,
  ) {
    this.#listenAt = options.listen;
    this.#graceMs = options.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS;
  }

  get endpoint(): Endpoint | null {
    return this.#endpoint;
  }

  /** Sockets still open (accepted and upstream). */
  get openSockets(): number {
    return this.#sockets.size;
  }

  /** The single place a socket enters tracking; it leaves on 'close'. */
  protected track(socket: Socket): void {
    this.#sockets.add(socket);
    socket.once('close', () => {
      this.#sockets.delete(socket);
      if (this.#sockets.size === 0) this.#onDrained?.();
    });
  }

  /** True while close() is under way: subclasses stop opening upstreams. */
  protected get closing(): boolean {
    return this.#closing !== null;
  }

  listen(): Promise<Endpoint> {
    return listenOn(this.server, this.#listenAt).then((ep) => (this.#endpoint = ep));
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  /** Ends a socket politely at close(); subclasses may override (HTTP idle sockets). */
  protected endSocket(socket: Socket): void {
    socket.end();
  }

  async #close(): Promise<void> {
    const closed = this.server.listening ? new Promise<void>((resolve) => this.server.close(() => resolve())) : Promise.resolve();
    for (const s of this.#sockets) this.endSocket(s);
    const grace = setTimeout(() => {
      for (const s of this.#sockets) s.destroy();
    }, this.#graceMs);
    grace.unref();
    // Wait for every 'close' event, not `socket.closed`: that turns true before
    // the event fires, and a caller may rely on the event's handlers having run.
    const drained = this.#sockets.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => (this.#onDrained = resolve));
    await Promise.all([closed, drained]);
    clearTimeout(grace);
  }
}

/**
 * Binds a server, racing `error` against `listening` so a port in use
 * rejects with a LabError instead of crashing the process (fastify).
 */
export function listenOn(server: Server, at: Endpoint): Promise<Endpoint> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      const where = formatEndpoint(at);
      if (err.code === 'EADDRINUSE') {
        reject(
          new LabError(
            'LAB_ERR_PORT_IN_USE',
            `${where} is already in use: pick another port, or 0 for any`,
            { found: where },
            { cause: err },
          ),
        );
      } else {
        reject(new LabError('LAB_ERR_LISTEN', `cannot listen on ${where}: ${err.code ?? err.message}`, { found: where }, { cause: err }));
      }
    };
    const onListening = () => {
      server.off('error', onError);
      const a = server.address();
      if (a === null || typeof a === 'string') {
        reject(new LabError('LAB_ERR_INTERNAL', `listening on ${String(a)} is not a TCP address`));
        return;
      }
      resolve({ host: a.address, port: a.port });
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(at.port, at.host);
  });
}
