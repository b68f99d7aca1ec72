import { createServer, type Socket } from 'node:net';
import { L7Base } from '../l7-kit/l7-base.js';
import type { ResolvedL7Options } from '../l7-kit/options.js';
import { FastClient } from './client-conn.js';
import type { FastContext } from './context.js';
import { Answers } from './heads.js';
import { UpstreamLink } from './upstream-link.js';

/**
 * The l7-fast proxy: L7Proxy's events, counters and lifecycle on a plain
 * net server. Connections and exchanges do the HTTP (client-conn.ts,
 * exchange.ts); what it shares with l7 (targets, pools, counters, events,
 * close) is in l7-kit/l7-base.ts; this owns the raw sockets, their upstream
 * links and the head-deadline sweep.
 */
export class L7FastProxy extends L7Base<FastClient> implements FastContext {
  readonly answers: Answers;
  readonly #links = new Map<Socket, UpstreamLink>();
  readonly #sweep: NodeJS.Timeout;

  constructor(options: ResolvedL7Options) {
    // allowHalfOpen: a client's FIN is handled by FastClient (abandon what is in flight, then end), not by net.
    const server = createServer({ allowHalfOpen: true, noDelay: true });
    super(server, options);
    this.answers = new Answers(options.clientKeepAliveTimeout);
    server.on('connection', this.#onConnection);
    // Head deadlines are checked on an interval, as node's connectionsCheckingInterval does: no timer per request.
    const every = Math.max(10, Math.min(1000, Math.floor(options.headerTimeout / 4)));
    this.#sweep = setInterval(this.#checkHeads, every);
    this.#sweep.unref();
  }

  override close(): Promise<void> {
    clearInterval(this.#sweep);
    return super.close();
  }

  /** At close(): idle clients are ended now, busy ones after their last answer; upstream sockets are the pools' business. */
  protected override endSocket(socket: Socket): void {
    this.clients.get(socket)?.endWhenIdle();
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

  readonly #onConnection = (socket: Socket): void => {
    this.accept(socket, (id) => new FastClient(this, id, socket));
  };

  readonly #checkHeads = (): void => {
    const now = Date.now();
    const limit = this.options.headerTimeout;
    for (const c of this.clients.values()) {
      if (c.headStart > 0 && now - c.headStart >= limit) c.headTimedOut();
    }
  };
}
