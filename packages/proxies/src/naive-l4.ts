import type { Socket } from 'node:net';
import { L4ProxyBase, type ClientConn, type L4ProxyOptions, type UpstreamConn } from './l4-base.js';

/**
 * The blog's "L4 proxy", faithfully wrong. Its whole source was:
 *
 *   net.createServer(c => c.on('data', data => {
 *     const u = net.createConnection({ port: 80 }, () => u.write(data));
 *     let dd = ''; u.on('data', d => dd += d); u.on('end', () => c.write(dd));
 *   })).listen(81);
 *
 *   client ──req 1──▶ naive-l4 ──new conn A: req 1──▶ origin
 *                       │ buffers reply 1          ◀─ reply 1 (keep-alive: no FIN)
 *                       │ ... waits for A's EOF ...   origin idle timeout ─▶ FIN on A
 *          ◀─reply 1────┘ written only now
 *   client ──req 2 (same socket)──▶ naive-l4 ──new conn B: req 2──▶ origin  (and wait again)
 *
 * What is wrong, and why keep-alive stalls:
 * - It frames a response by upstream EOF. A keep-alive origin answers and then
 *   keeps the connection open for the next request, so the reply sits in the
 *   buffer until the origin's idle timeout closes the socket (Node 20:
 *   keepAliveTimeout + 1 s). With `Connection: close` the origin closes at
 *   once and everything looks fine. No timer of this proxy is involved.
 * - It opens a new upstream connection per `data` chunk, not per client
 *   connection: the origin sees a new port for every request, and a request
 *   split over two chunks would be split over two connections.
 * - It never forwards the client's FIN nor the origin's, and has no backpressure.
 * - An upstream that fails (refused, reset) leaves the client waiting for a
 *   reply that never comes; the blog's process crashed instead. Here the
 *   error is recorded and the upstream's close says 'error'.
 *
 * Kept from the blog: all of the above. Added so the lab can run it for hours:
 * recorded errors, tracked sockets (close() works), binary-safe buffering
 * (Buffers, not `dd += d`, which would corrupt split UTF-8), connection events.
 */
export class NaiveL4Proxy extends L4ProxyBase {
  constructor(options: L4ProxyOptions) {
    // allowHalfOpen false, as in the blog: a client's FIN closes its socket at once.
    super(options, 'naive-l4', false);
  }

  protected serve(client: ClientConn): void {
    /** Upstreams opened for this client and not closed yet. */
    const open = new Set<UpstreamConn>();
    client.socket.on('data', (chunk: Buffer) => {
      // close() waits only for the sockets that exist when it starts: opening
      // one now would outlive it. The chunk is dropped with the connection.
      if (this.closing) return;
      const up = this.#forward(client, chunk);
      open.add(up);
      up.socket.once('close', () => open.delete(up));
    });
    // The blog did nothing when the client left. Doing nothing here leaks: an
    // upstream still waiting for the origin's EOF stays open until the
    // origin's idle timeout (for ever if it has none), holding a reply that
    // nobody will read. So the proxy destroys them; this changes nothing the
    // client could observe, since it is gone.
    client.socket.once('close', () => {
      for (const up of open) {
        up.reason ??= 'client-closed';
        up.socket.destroy();
      }
    });
  }

  /** One chunk, one connection: write it, collect the whole reply, hand it over on EOF. */
  #forward(client: ClientConn, chunk: Buffer): UpstreamConn {
    const up = this.openUpstream(client);
    const parts: Buffer[] = [];
    up.socket.once('connect', () => up.socket.write(chunk));
    up.socket.on('data', (d: Buffer) => parts.push(d));
    up.socket.once('end', () => deliver(client.socket, parts));
    return up;
  }
}

/** The blog's `c.write(dd)` on upstream `end`: the only moment this forwarder believes a reply is complete. */
function deliver(client: Socket, parts: Buffer[]): void {
  // A client that already left (or that close() ended) cannot take the reply;
  // writing would only raise write-after-end. The lost reply is visible in
  // the events: this client's close precedes the upstream's.
  if (parts.length === 0 || !client.writable) return;
  // Corked, the parts leave in one writev: no copy into one big Buffer.
  client.cork();
  for (const part of parts) client.write(part);
  client.uncork();
}

export const createNaiveL4 = (options: L4ProxyOptions): NaiveL4Proxy => new NaiveL4Proxy(options);
