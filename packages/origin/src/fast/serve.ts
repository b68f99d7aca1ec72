import { maxHeaderSize } from 'node:http';
import type { Server, Socket } from 'node:net';
import { loadLlhttp } from '@keepalive-lab/core';
import type { OriginContext } from '../context.js';
import { idleCloseAfter } from '../idle-close-buffer.js';
import { FastConnection, fastConnectionOf, type FastShared } from './connection.js';
import { connectionLines } from './response-head.js';

/** What origin.ts asks of the fast engine. */
export interface FastServing {
  /** At close(): an idle connection ends now, a busy one after its answers (`server-close`). */
  endSocket(socket: Socket): void;
  /** At close(): the idle sweep stops. */
  stop(): void;
}

/**
 * The fast engine (`engine: 'fast'`): HTTP/1.1 on a plain net server, each
 * socket read by node's own strict llhttp parser in C++ (core's llhttp.ts),
 * the stamps, records and keep-alive rules of the node engine written out in
 * connection.ts, heads byte for byte node's in response-head.ts. The binding
 * is loaded and checked here, when such an origin is built: on a node whose
 * binding changed, only `engine: 'fast'` fails.
 *
 * The idle close is one sweep for all connections (as l7-fast checks its
 * deadlines), not a timer per connection or request: every `tick` ms it
 * destroys each connection idle for keepAliveTimeout + idleCloseBuffer, so
 * a close lands at most one tick late. The tick is a tenth of that total,
 * between 10 and 250 ms: 20 ms late at most for 200 ms, 250 ms for node's
 * default 5 s + 1 s. keepAliveTimeout 0: no sweep at all (node's meaning).
 */
export function serveFast(server: Server, ctx: OriginContext, track: (socket: Socket) => void): FastServing {
  const o = ctx.options;
  const shared: FastShared = {
    ctx,
    llhttp: loadLlhttp({ name: "origin engine 'fast'", instead: "the origin's engine 'node'" }),
    lines: connectionLines(o),
    // node:http's own limit (--max-http-header-size): the same heads are refused 431.
    maxHeaderSize,
    open: new Set(),
  };
  const idleAfter = idleCloseAfter(o.keepAliveTimeout, o.idleCloseBuffer) ?? 0;
  const tick = Math.min(250, Math.max(10, Math.floor(idleAfter / 10)));
  let sweeper: NodeJS.Timeout | null = null;
  let stopped = false;
  const sweep = (): void => {
    if (shared.open.size === 0) {
      if (sweeper !== null) clearInterval(sweeper);
      sweeper = null;
      return;
    }
    const now = Date.now();
    for (const c of shared.open) if (c.idle && now - c.activeAt >= idleAfter) c.idleOut();
  };
  server.on('connection', (socket: Socket) => {
    track(socket);
    // Nagle off, as node's http server sets it (noDelay: true since node 18): one write per answer goes out at once.
    socket.setNoDelay(true);
    // It finds itself on the socket from now on (fastConnectionOf).
    new FastConnection(shared, socket);
    if (idleAfter > 0 && sweeper === null && !stopped) {
      sweeper = setInterval(sweep, tick);
      // The sockets keep the process alive while they matter; the sweep never does.
      sweeper.unref();
    }
  });
  return {
    endSocket(socket) {
      const c = fastConnectionOf(socket);
      if (c === undefined) socket.end();
      else c.endForClose();
    },
    stop() {
      stopped = true;
      if (sweeper !== null) clearInterval(sweeper);
      sweeper = null;
    },
  };
}
