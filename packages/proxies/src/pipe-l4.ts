import { pipeline } from 'node:stream';
import { L4ProxyBase, type ClientConn, type L4ProxyOptions } from './l4-base.js';

/**
 * A correct L4 forwarder: what the blog's proxy should have been.
 *
 *   client ══ conn 1 ══▶ pipe-l4 ══ upstream A (opened at accept) ══▶ origin
 *          ◀═════════════ bytes, both ways, as they come ═════════════
 *   client ══ conn 2 ══▶ pipe-l4 ══ upstream B (next target) ══════▶ origin
 *
 * One upstream connection per client connection, opened on accept, so the
 * origin's keep-alive is the client's keep-alive, 1:1: five requests on one
 * client socket are five requests on one upstream socket. It never parses
 * HTTP, so it cannot pool upstreams across clients, balance per request or
 * answer 502 itself: that is what L7 is for.
 *
 * - Bytes move through `stream.pipeline` both ways; backpressure included.
 *   Client bytes that arrive before the upstream connects wait in the
 *   upstream socket's write buffer.
 * - Half-close is honoured (allowHalfOpen on both sides): a client FIN
 *   becomes an upstream FIN once its data has drained, and vice versa, so a
 *   peer that answers after reading to EOF still gets its answer through.
 * - An error on either side destroys both. If the upstream refuses, the
 *   client socket is destroyed: an L4 proxy has no way to say 502.
 * - Targets are taken round-robin per connection, never per request.
 */
const MAX_LISTENERS = 16;

export class PipeL4Proxy extends L4ProxyBase {
  constructor(options: L4ProxyOptions) {
    super(options, 'pipe-l4', true);
  }

  protected serve(client: ClientConn): void {
    const up = this.openUpstream(client);
    const c = client.socket;
    const u = up.socket;
    // Two pipelines put 8 'close' listeners on each socket (counted on Node
    // 20); tracking, recording, a write before connect and close() add up to
    // 4 more. A fixed number per socket, not a leak: raise the warning bar.
    c.setMaxListeners(MAX_LISTENERS);
    u.setMaxListeners(MAX_LISTENERS);
    // Who ended first explains why the other side closes. The base's own
    // 'end'/'error' handlers ran first and set this side's reason.
    c.once('end', () => (up.reason ??= 'client-closed'));
    u.once('end', () => (client.reason ??= 'upstream-closed'));
    // Destroying the peer without an error (before pipeline would destroy it
    // with this one) keeps each error recorded once, on the side it happened.
    c.once('error', () => {
      up.reason ??= 'client-closed';
      u.destroy();
    });
    u.once('error', () => {
      client.reason ??= 'upstream-closed';
      c.destroy();
    });
    const done = (err: NodeJS.ErrnoException | null | undefined): void => {
      // By now pipeline has destroyed both sockets. The error was emitted by
      // one of them and recorded there, or it is a premature close caused by
      // a destroy whose cause the close reason records. Anything else is new.
      if (err && err !== client.error && err !== up.error && err.code !== 'ERR_STREAM_PREMATURE_CLOSE') this.recordError(client, err);
    };
    pipeline(c, u, done);
    pipeline(u, c, done);
  }
}

export const createPipeL4 = (options: L4ProxyOptions): PipeL4Proxy => new PipeL4Proxy(options);
