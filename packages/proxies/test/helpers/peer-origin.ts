import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import type { Closers } from './real-proxy-fixture.js';

/** A test origin: its port, and the remote ports of the connections it accepted, of each request's connection, and of those closed. */
export interface TestOrigin {
  port: number;
  connPorts: number[];
  /** In order of arrival: counts requests where a proxy's probe or retry would blur a count of connections. */
  reqPorts: number[];
  closed: number[];
}

export interface OriginOptions {
  /** Where to listen; default 0, any free port. A fixed one brings an origin back on a port it left. */
  port?: number;
  /** node's server.keepAliveTimeout, which it sends as `Keep-Alive: timeout=<s>` (0: no hint). Default node's 5 s. */
  keepAliveTimeout?: number;
  /** Default true: the body is read and dropped before `handle` runs, so no handler stalls its connection. False for a handler that reads it. */
  drain?: boolean;
  /** Destroy a connection when its second request arrives, unanswered: an origin closing an idle connection just as the proxy reuses it. */
  dropSecond?: boolean;
}

const echoPort: http.RequestListener = (req, res) => res.end(String(req.socket.remotePort));

/** An origin answering with `handle` (default: the remote port of the request's connection); closed by the closers. */
export async function origin(closers: Closers, handle: http.RequestListener = echoPort, opts: OriginOptions = {}): Promise<TestOrigin> {
  const o: TestOrigin = { port: 0, connPorts: [], reqPorts: [], closed: [] };
  const perConn = new Map<net.Socket, number>();
  const server = http.createServer((req, res) => {
    const s = req.socket;
    const n = (perConn.get(s) ?? 0) + 1;
    perConn.set(s, n);
    o.reqPorts.push(s.remotePort ?? 0);
    if (opts.drain ?? true) req.resume();
    if (opts.dropSecond === true && n === 2) return void s.destroy();
    handle(req, res);
  });
  if (opts.keepAliveTimeout !== undefined) server.keepAliveTimeout = opts.keepAliveTimeout;
  server.on('connection', (s: net.Socket) => {
    const remote = s.remotePort ?? 0;
    o.connPorts.push(remote);
    s.once('close', () => o.closed.push(remote));
  });
  server.listen(opts.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });
  o.port = (server.address() as net.AddressInfo).port;
  return o;
}

/**
 * An origin for caching peers (squid, varnish): it answers each request with
 * the remote port of its connection, with replies a cache would keep.
 * `delayMs`: answer that late; `hold`: not before it resolves.
 */
export async function cacheableOrigin(
  closers: Closers,
  opts: { delayMs?: number; dropSecond?: boolean; hold?: Promise<void> } = {},
): Promise<TestOrigin> {
  return origin(
    closers,
    (req, res) => {
      // Cacheable: only the proxy's config keeps it from answering a repeat from its cache.
      res.setHeader('Cache-Control', 'max-age=60');
      const answer = () => setTimeout(() => res.end(String(req.socket.remotePort)), opts.delayMs ?? 0);
      if (opts.hold) void opts.hold.then(answer);
      else answer();
    },
    // Idle closes in these tests must be the proxy's, not node's 5 s default.
    { keepAliveTimeout: 60_000, dropSecond: opts.dropSecond ?? false },
  );
}

/** Holds each answer until `n` requests wait (or `holdMs` passes): `together` is the most that were in flight at once. */
export async function barrierOrigin(closers: Closers, n: number, holdMs = 300): Promise<TestOrigin & { together: number }> {
  const waiting: http.ServerResponse[] = [];
  const state = { together: 0 };
  const release = () => {
    state.together = Math.max(state.together, waiting.length);
    for (const r of waiting.splice(0)) r.end(String(r.socket?.remotePort));
  };
  const o = await origin(closers, (_req, res) => {
    waiting.push(res);
    if (waiting.length >= n) release();
    else setTimeout(release, holdMs);
  });
  return Object.assign(state, o);
}

/** A port nothing listens on (just released): an origin that is down. */
export async function deadPort(): Promise<number> {
  const s = net.createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as net.AddressInfo;
  s.close();
  await once(s, 'close');
  return port;
}
