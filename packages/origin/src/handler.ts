import type { IncomingMessage, ServerResponse } from 'node:http';
import { LabError } from '@keepalive-lab/core';
import type { Connection } from './connection.js';
import { isRecording, recordRequest, type OriginContext } from './context.js';
import type { Fault } from './faults/index.js';
import { closingHeaders, declaresBody, readLabHeaders, type LabHeaders } from './response.js';

/**
 * The origin's request handler. Hot path: per request, counters, one
 * fixed-shape `request` event (only when someone records), and one
 * writeHead/end with headers prepared per connection. No closures per request:
 * body listeners are module functions that find their state on the request.
 *
 *   head in ── arrival faults ── read + count body ── request event
 *          ── answer faults ── [delay] ── 200 + stamps
 */
export function createRequestHandler(ctx: OriginContext): (req: IncomingMessage, res: ServerResponse) => void {
  const arrivalFaults = ctx.faults.arrival;
  return function onRequest(req, res) {
    const conn = ctx.connections.get(req.socket);
    if (conn === undefined) {
      // 'connection' always runs before any request on that socket.
      throw new LabError('LAB_ERR_INTERNAL', 'origin: a request arrived on a socket the origin never saw connect');
    }
    const nth = ++conn.received;
    ctx.counters.requestsReceived++;
    // The id and hop-by-hop headers only go into events: nobody recording, no header scan on the hot path; recording, one scan.
    const lab = isRecording(ctx.recorder) ? readLabHeaders(req.rawHeaders) : null;
    if (arrivalFaults.length > 0) {
      const fault = firing(arrivalFaults, conn, nth);
      if (fault !== null) {
        recordRequest(ctx, conn, lab, nth, req.method ?? 'UNKNOWN', 0);
        takeOver(ctx, fault, conn, res, lab, nth);
        return;
      }
    }
    if (!declaresBody(req.rawHeaders)) {
      // Node dumps the (empty) body itself once the response finishes.
      onRequestRead(ctx, conn, req, res, lab, nth, 0);
      return;
    }
    (req as BodyRequest)[kBody] = { ctx, conn, res, lab, nth, bytes: 0 };
    req.on('data', onBodyData);
    req.on('end', onBodyEnd);
    // A request aborted mid-body never ends: it is not recorded, and its
    // connection's conn-close says why. IncomingMessage emits no 'error'
    // without a listener, so nothing goes unhandled.
  };
}

const kBody = Symbol('lab.pendingBody');

/** A request whose body is being read; the state lives on it so listeners need no closure. */
type BodyRequest = IncomingMessage & { [kBody]?: PendingBody };

interface PendingBody {
  ctx: OriginContext;
  conn: Connection;
  res: ServerResponse;
  lab: LabHeaders | null;
  nth: number;
  bytes: number;
}

function onBodyData(this: BodyRequest, chunk: Buffer): void {
  const p = this[kBody];
  if (p !== undefined) p.bytes += chunk.length;
}

function onBodyEnd(this: BodyRequest): void {
  const p = this[kBody];
  if (p === undefined) return;
  this[kBody] = undefined;
  onRequestRead(p.ctx, p.conn, this, p.res, p.lab, p.nth, p.bytes);
}

function onRequestRead(
  ctx: OriginContext,
  conn: Connection,
  req: IncomingMessage,
  res: ServerResponse,
  lab: LabHeaders | null,
  nth: number,
  bytes: number,
): void {
  // Always set on a server request; typed optional.
  recordRequest(ctx, conn, lab, nth, req.method ?? 'UNKNOWN', bytes);
  const answerFaults = ctx.faults.answer;
  if (answerFaults.length > 0) {
    const fault = firing(answerFaults, conn, nth);
    if (fault !== null) {
      takeOver(ctx, fault, conn, res, lab, nth);
      return;
    }
  }
  const delay = ctx.options.delay;
  if (delay > 0) {
    // Unref'd: a pending answer must not keep a closing process alive; its socket does while it matters.
    setTimeout(respond, delay, ctx, conn, res, nth).unref();
  } else {
    respond(ctx, conn, res, nth);
  }
}

/** The one place a response is written. */
function respond(ctx: OriginContext, conn: Connection, res: ServerResponse, nth: number): void {
  // The peer left during the delay: its conn-close is recorded already.
  if (res.destroyed) return;
  if (!ctx.options.keepAliveHint) {
    // Node has no public switch for the `Keep-Alive: timeout=N` hint: it sends
    // it when the response's private _keepAliveTimeout (copied from the server
    // per response) is non-zero. Zeroing it here drops only the header; the
    // idle close still uses server.keepAliveTimeout. Removing the Connection
    // header instead would also lose node's `Connection: close` on max-requests.
    (res as ServerResponse & { _keepAliveTimeout: number })._keepAliveTimeout = 0;
  }
  const headers = conn.headersFor(nth);
  res.writeHead(200, ctx.closing ? closingHeaders(headers, ctx.template) : headers);
  // Node decided while writing the head whether this response ends the
  // connection; note why now, before the client can race us with its FIN.
  const max = ctx.options.maxRequestsPerSocket;
  if (max > 0 && nth >= max) conn.closingAfterResponse = 'max-requests';
  else if (!res.shouldKeepAlive || !ctx.template.keepAlive) conn.closingAfterResponse = 'connection-close';
  res.end(ctx.template.body);
  conn.answered++;
  ctx.counters.requestsAnswered++;
}

function firing(faults: readonly Fault[], conn: Connection, nth: number): Fault | null {
  for (const f of faults) if (f.fires(conn, nth)) return f;
  return null;
}

function takeOver(ctx: OriginContext, fault: Fault, conn: Connection, res: ServerResponse, lab: LabHeaders | null, nth: number): void {
  const id = lab?.id ?? null;
  ctx.counters.faults++;
  const r = ctx.recorder;
  if (isRecording(r))
    r.record({ event: 'fault', source: 'origin', t: r.now(), origin: ctx.options.name, conn: conn.id, id, fault: fault.name });
  fault.apply(conn, res, nth, ctx.template.body);
}
