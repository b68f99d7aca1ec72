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
 * - Bodies are streamed both ways with pipe (backpressure, no buffering).
 *   Only bodiless requests are retried, so nothing is ever kept for replay.
 *
 * Throughput limits (for the bench): per request we pay node's server
 * parser + ServerResponse and node's client parser + ClientRequest, about
 * what http-proxy with a keep-alive agent pays, minus its per-header
 * setHeader calls and event plumbing; one event loop, so one core. Measured
 * on a busy 2-core box (autocannon -c 50, tiny responses, node origin): l7
 * 2836 req/s vs a plain node http+Agent proxy 2788 (1.02x); a noisy figure,
 * the bench decides. Expect it well below nginx (C, no per-request objects).
 * Idle client keep-alive connections: 5000 after one request each cost
 * +99 MB RSS (179 MB total, tsx included), about 20 KB each, mostly node's
 * socket and parser; a connection that never sends a request is closed
 * after headerTimeout (slowloris guard), so a holder must send one first.
 */
import { resolveL7Options, type L7ProxyOptions } from '../l7-kit/options.js';
import { L7Proxy } from './proxy.js';

export { L7Proxy } from './proxy.js';
/** The options createL7Proxy takes (shared with l7-fast). */
export type { L7ProxyOptions } from '../l7-kit/options.js';

/** Builds an L7 proxy; call `listen()` on it. Throws a LabError naming a bad option. */
export function createL7Proxy(options: L7ProxyOptions): L7Proxy {
  const r = resolveL7Options(options);
  if (!r.ok) throw r.error;
  return new L7Proxy(r.value);
}
