/**
 * l7-fast: the L7 proxy's duties without node's http objects.
 *
 *   client ──► net socket ──► FastClient ──► FastExchange ──► UpstreamPool[target] ──► UpstreamLink ──► origin
 *              (llhttp strict, request)   (framing.ts, hop-by-hop.ts,    (the kit's pool:     (llhttp strict,
 *                                           retry.ts, heads.ts)           reasons, limits)     response)
 *
 * Why a second engine: profiling `pnpm bench l7` put most of l7's CPU in
 * node's IncomingMessage / ServerResponse / ClientRequest, their streams
 * and event plumbing, and in one write syscall per piece; the proxy's own
 * code was ~6 %. l7-fast keeps the parser (llhttp, the same strict parser
 * node's server and client use, through core's llhttp.ts, which checks the binding
 * when l7-fast loads, binding.ts) and drops the objects around it:
 *
 * - one FastExchange per request (the pool's request and the link's owner
 *   at once), callbacks as methods: no per-request closures or listeners;
 * - each head written as one latin1 string; what one upstream read yields
 *   for the client (head, small body pieces, chunk framing) is joined into
 *   one string, so a small response leaves in one write(2), no writev;
 * - the parsers read their sockets in C++ (consumed, as node's server does),
 *   not through a stream push and a 'data' event per read; their callbacks
 *   and the sockets' listeners are shared functions, none per connection;
 *   a callback a message does not need is left unset (llhttp skips it);
 * - no timer per request: client deadlines (head, idle, silence) are
 *   checked by one interval sweep, as node does for heads; an idle
 *   connection's parser is given back after a second.
 *
 * Measured side by side on a 2-core box (wrk -t1 -c50, tiny responses,
 * plain node origin, best of 4 × 5 s): 31,600 req/s at 34 µs CPU per
 * request, p99 5.2 ms; nginx (one worker, keepalive 32) 26,500 at 27 µs,
 * p99 7.1 ms; HAProxy (mode http) 34,900 at 23 µs. Before this engine's
 * speed work: 18,900 at 65 µs. Where the 34 µs go: write(2) 13, this
 * engine's JS 5, node's parser callbacks 4, read(2) 2, node's net and
 * streams 3; the rest is libuv and node's C++. The pool no longer closes and
 * reopens upstream connections under a load above its idle cap (it cost
 * 13 µs a request; nginx still does, 22 % of requests, which costs the
 * origin too). 5,000 idle keep-alive clients: +2.8 KB each once settled
 * (parsers given back, V8's young generation shrunk again), +9.5 KB each
 * right after they connect.
 *
 * What is the same as l7, by construction, is in ../l7-kit/, which both
 * engines import (neither imports the other): the options (options.ts), the
 * framing checks (framing.ts), hop-by-hop rules (hop-by-hop.ts), the retry
 * decision (retry.ts), the Keep-Alive hint and its margin
 * (keep-alive-hint.ts), the pool with its close reasons and limits
 * (upstream-pool.ts), the balancer (balancer.ts), the answers' bodies
 * (errors-responses.ts), the events and stats (l7-base.ts). The duty tests
 * (test/l7-*.test.ts) run against both.
 *
 * The same by decision, written once in the kit: an Upgrade request
 * is served as a plain one, then the connection closes; CONNECT is refused
 * (501, closed) (framing.ts); the origin's 1xx are forwarded by one rule
 * (hop-by-hop.ts, interimResponse); nothing behind a connection's last
 * request is read (framing.ts, endsConnection).
 *
 * Where it differs, on purpose:
 * - An expectation other than 100-continue is a recorded reject (417).
 * - Request trailers are dropped, as l7 does, without node's help.
 * Framing safety: nothing is forwarded that llhttp (strict) did not parse as
 * one whole message; bodies are forwarded by their parsed framing (chunked
 * re-chunked, Content-Length as is); a request behind one that closes the
 * connection is never forwarded; a response byte that arrives with no
 * exchange waiting poisons the upstream socket.
 */
import { resolveL7Options, type L7ProxyOptions } from '../l7-kit/options.js';
import { L7FastProxy } from './proxy.js';

export { L7FastProxy } from './proxy.js';

/** Builds an l7-fast proxy; call `listen()` on it. Same options as createL7Proxy; `name` defaults to 'l7-fast'. */
export function createL7FastProxy(options: L7ProxyOptions): L7FastProxy {
  const r = resolveL7Options({ ...options, name: options.name ?? 'l7-fast' });
  if (!r.ok) throw r.error;
  return new L7FastProxy(r.value);
}
