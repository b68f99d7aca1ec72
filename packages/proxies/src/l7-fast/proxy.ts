import { createServer, type Socket } from 'node:net';
import { L7Base } from '../l7-kit/l7-base.js';
import type { ResolvedL7Options } from '../l7-kit/options.js';
import type { UpstreamConn } from '../l7-kit/upstream-pool.js';
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
    super(server, options, { engineReadsIdle: true });
    this.answers = new Answers(options.clientKeepAliveTimeout);
    server.on('connection', this.#onConnection);
    // Deadlines are checked on an interval, as node's connectionsCheckingInterval does for heads: no timer per request.
    // A deadline is met up to `every` late (at most 1 s, a quarter of the shortest), never early.
    const idle = options.clientKeepAliveTimeout > 0 ? options.clientKeepAliveTimeout + 1000 : 0;
    const deadlines = [options.headerTimeout, options.clientTimeout, idle].filter((ms) => ms > 0);
    const every = Math.max(10, Math.min(1000, Math.floor(Math.min(...deadlines) / 4)));
    this.#sweep = setInterval(this.#checkDeadlines, every);
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

  link(socket: Socket, conn: UpstreamConn | null): UpstreamLink {
    let l = this.#links.get(socket);
    if (l === undefined) {
      l = new UpstreamLink(socket, this.options.maxHeaderSize, conn?.onIdleData ?? (() => socket.destroy()));
      this.#links.set(socket, l);
      socket.once('close', () => this.#links.delete(socket));
    }
    return l;
  }

  readonly #onConnection = (socket: Socket): void => {
    this.accept(socket, (id) => new FastClient(this, id, socket));
  };

  readonly #checkDeadlines = (): void => {
    const now = Date.now();
    for (const c of this.clients.values()) c.checkDeadlines(now);
  };
}
