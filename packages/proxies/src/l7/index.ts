/**
 * The L7 proxy: an HTTP intermediary with a keep-alive pool per target.
 *
 *   client ──► node:http Server ──► Exchange ──► Balancer ──► UpstreamPool[target] ──► origin
 *   (parse, framing.ts, hop-by-hop.ts)   (retry.ts, errors-responses.ts)   (Agent-like: net sockets)
 *
 * Here: the node:http side only (proxy.ts, exchange.ts, send-error.ts).
 * What l7-fast does the same way (options, framing, hop-by-hop, retry,
 * keep-alive hint, balancer, pool, answers, counters and events) is in
 * ../l7-kit/, written once for both engines.
 *
 * Architecture, and why:
 *
 * - Client side: node's http Server, not a hand-written parser. llhttp in
 *   strict mode was checked byte by byte (test/l7-framing.test.ts) and already
 *   refuses CL+TE, bad Content-Length forms, bad chunk sizes, bare CR, NUL,
 *   space before the colon and obs-fold; it handles pipelining in order,
 *   `Expect: 100-continue` (it answers 100 itself when asked, so the body
 *   never deadlocks behind an origin that does not), header deadlines (408)
 *   and head size (431). A raw parser could be faster, but every line of it
 *   would be new smuggling surface. What llhttp lets through is checked in
 *   framing.ts (several Host, split Transfer-Encoding, HTTP/0.9, HTTP/1.0
 *   with Transfer-Encoding, field count).
 *
 * - Upstream side: node's http client (llhttp again for responses: a
 *   malformed response is a parse error, hence 502) on sockets from our own
 *   pool, not node's Agent. The pool is an "Agent-like object": node hands a
 *   ClientRequest to `addRequest` and emits `free` on the socket when the
 *   exchange is over. Owning the sockets is what the lab needs and the Agent
 *   hides: a reason recorded for every socket that ends, the origin's
 *   `Keep-Alive: timeout=N` honoured with our own margin, a fresh-only socket
 *   for a retry, a permanent error listener (no crash in the Agent's
 *   between-owners window), and counters that say "open sockets ≤ limits".
 *
 * - Headers go out as flat raw arrays (`[name, value, ...]`): node's fast
 *   path writes them as given, nothing is lowercased or merged, and a
 *   chunked request body is re-chunked explicitly (node would otherwise send
 *   a GET body unframed).
 *
 * - Bodies are streamed both ways with backpressure, no buffering: the
 *   request with pipe, the response by hand (exchange.ts: pipe's dozen
 *   listeners per response were a visible cost). Only bodiless requests are
 *   retried, so nothing is ever kept for replay.
 *
 * Throughput limits (for the bench): per request we pay node's server
 * parser + ServerResponse and node's client parser + ClientRequest; one
 * event loop, so one core. What the proxy adds is kept off that path: no
 * closure per request (exchange.ts), no timer per request and no listener
 * added and removed per request (l7-kit/upstream-pool.ts), no event object
 * nobody keeps (l7-base.ts). Measured side by side on a 2-core box (wrk -t1
 * -c50, tiny responses, plain node origin, best of 4 × 5 s): 15,300 req/s,
 * 71 µs CPU per request, where nginx (one worker, keepalive 32) did 26,500
 * at 27 µs; before, 9,500 at 128 µs. Where the 71 µs go: node's net,
 * streams and events 17, node's http 14, write(2) 15, node's parser
 * callbacks 5, this engine's own code 5. Idle client keep-alive
 * connections: 5000 after one request each hold +60 MB RSS in the bench
 * (157 MB total, tsx included), mostly node's socket and parser; a
 * connection that never sends a request is closed after headerTimeout
 * (slowloris guard), so a holder must send one first.
 */
import { resolveL7Options, UPSTREAM_PROTOCOLS, type L7ProxyOptions } from '../l7-kit/options.js';
import { L7Proxy } from './proxy.js';

export { L7Proxy } from './proxy.js';
/** The options createL7Proxy takes (shared with l7-fast). */
export type { L7ProxyOptions } from '../l7-kit/options.js';

/** Builds an L7 proxy; call `listen()` on it. Throws a LabError naming a bad option. */
export function createL7Proxy(options: L7ProxyOptions): L7Proxy {
  const r = resolveL7Options(options, UPSTREAM_PROTOCOLS);
  if (!r.ok) throw r.error;
  return new L7Proxy(r.value);
}
