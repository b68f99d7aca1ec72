import http from 'node:http';
import type { Socket } from 'node:net';
import { LAB_HEADERS, type ClientRecord } from '@keepalive-lab/core';
import { LoadAbortError, errorCode, headerInt, type LoadRun } from './load-run.js';

/** `connection` and `keep-alive` as the response carried them (what the Agent decides reuse by); null when neither. */
function responseHop(h: http.IncomingHttpHeaders): Record<string, string> | null {
  const connection = h.connection;
  const keepAlive = h['keep-alive'];
  if (connection === undefined && keepAlive === undefined) return null;
  return { ...(connection !== undefined ? { connection } : {}), ...(typeof keepAlive === 'string' ? { 'keep-alive': keepAlive } : {}) };
}

/**
 * The teaching engine: node:http through a dedicated `http.Agent`, exactly
 * the client of the blog. `concurrency` requests are fired at once; those
 * beyond `maxSockets` wait in the Agent's own queue and take over a pooled
 * socket when it frees up. With keepAlive false every request says
 * `Connection: close`, so each socket carries one request and the origin
 * sees a new port per request.
 */
export async function runAgentEngine(run: LoadRun): Promise<void> {
  const o = run.o;
  const agent = new http.Agent({ keepAlive: o.keepAlive, maxSockets: o.maxSockets });
  const open = new Set<Socket>();
  const seen = new WeakSet<Socket>();
  const inFlight = new Set<http.ClientRequest>();
  const base: http.OutgoingHttpHeaders = { ...o.headers };
  // An explicit `Connection: close` makes node destroy the socket after the response
  // instead of handing it to the next queued request (which a non-keep-alive Agent
  // with finite maxSockets would otherwise do).
  if (!o.keepAlive) base.connection = 'close';
  // Extra tokens (a hop-by-hop header the proxy must strip) go beside node's own keep-alive token.
  if (o.connectionTokens !== '') base.connection = `${o.keepAlive ? 'keep-alive' : 'close'}${o.connectionTokens}`;
  if (o.body !== null) base['content-length'] = String(o.body.length);

  const send = (rec: ClientRecord): void => {
    let done = false;
    let timer: NodeJS.Timeout | null = null;
    const end = (error: string | null): void => {
      if (done) return;
      done = true;
      if (timer !== null) clearTimeout(timer);
      inFlight.delete(req);
      run.finish(rec, error);
      // node frees a keep-alive socket on the next tick after 'end' ("after user-added end
      // handlers"); issuing now would find no free socket and open an extra one.
      process.nextTick(() => run.slotFree(true));
    };
    const req = http.request({
      host: o.host,
      port: o.port,
      path: o.path,
      method: o.method,
      agent,
      headers: { ...base, [LAB_HEADERS.requestId]: rec.id },
    });
    inFlight.add(req);
    req.on('socket', (s: Socket) => {
      // Seen before in this run = reused. Not `req.reusedSocket`: node sets it only when a
      // request finds a free socket, not when a queued one inherits a freed socket.
      rec.reused = seen.has(s);
      if (!rec.reused) {
        seen.add(s);
        open.add(s);
        s.once('close', () => {
          open.delete(s);
          run.countSocket(s);
        });
      }
      // A new socket has no local port until it connects; a reused one keeps its own.
      if (s.connecting) s.once('connect', () => (rec.clientPort = s.localPort ?? null));
      else rec.clientPort = s.localPort ?? null;
      timer = setTimeout(() => req.destroy(new LoadAbortError('TIMEOUT')), o.timeout);
    });
    req.on('response', (res) => {
      rec.status = res.statusCode ?? null;
      rec.originPort = headerInt(res.headers[LAB_HEADERS.originPort]);
      const origin = res.headers[LAB_HEADERS.origin];
      rec.origin = typeof origin === 'string' ? origin : null;
      rec.originConn = headerInt(res.headers[LAB_HEADERS.originConn]);
      rec.nthOnConn = headerInt(res.headers[LAB_HEADERS.originNth]);
      rec.responseHop = responseHop(res.headers);
      res.on('data', (chunk: Buffer) => {
        run.responseBytes += chunk.length;
      });
      res.on('end', () => end(null));
      // Reset mid-body: node reports it on the response ('aborted', ECONNRESET).
      res.on('error', (err) => end(errorCode(err)));
      res.on('close', () => end(res.complete ? null : 'ECONNRESET'));
    });
    req.on('error', (err) => end(errorCode(err)));
    req.end(o.body ?? undefined);
  };

  const onAbort = (): void => {
    run.abort();
    for (const req of inFlight) req.destroy(new LoadAbortError('ABORTED'));
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    run.begin(send);
    if (o.signal?.aborted) onAbort();
    const first = Math.min(o.concurrency, o.requests);
    for (let i = 0; i < first; i++) run.slotFree(false);
    await run.ended;
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    // A slot still waiting its turn when the last request was issued would only find nothing to do.
    run.dispose();
    // Idle keep-alive sockets would hold the origin's connections open: none outlives the run.
    agent.destroy();
    // Until each has emitted 'close' (`closed` is true a tick before it): its byte counts are taken there.
    await Promise.all([...open].map((s) => new Promise((r) => s.once('close', r))));
  }
}
