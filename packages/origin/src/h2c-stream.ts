import type { IncomingHttpHeaders, ServerHttp2Session, ServerHttp2Stream } from 'node:http2';
import { LabError } from '@keepalive-lab/core';
import { isRecording, recordRequest, type OriginContext } from './context.js';
import type { H2cConnection } from './h2c.js';
import { readLabHeaders, type LabHeaders } from './response.js';

/** What the stream handler asks of the session side (h2c.ts). */
export interface StreamHooks {
  connectionOf(session: ServerHttp2Session): H2cConnection | undefined;
  /** A stream arrived (after its nth is counted): the session is busy. */
  opened(conn: H2cConnection): void;
  /** A stream closed, answered or not: the session may be idle. */
  closed(conn: H2cConnection): void;
}

/**
 * The h2c origin's stream handler, the HTTP/2 twin of handler.ts without its
 * fault stages (refused with h2c): per stream, counters, body bytes read and
 * counted, one `request` event (only when someone records), then
 * [delay] ── 200 + the connection's stamps + body.
 *
 * No closure per stream: listeners are module functions that find their
 * state on the stream.
 */
export function createStreamHandler(
  ctx: OriginContext,
  hooks: StreamHooks,
): (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: number, rawHeaders?: string[]) => void {
  return function onStream(stream, headers, _flags, rawHeaders) {
    const conn = hooks.connectionOf(stream.session as ServerHttp2Session);
    if (conn === undefined) {
      // The session is paired with its connection before it can carry a stream.
      throw new LabError('LAB_ERR_INTERNAL', 'origin (h2c): a stream arrived on a session the origin never saw open');
    }
    const nth = ++conn.received;
    ctx.counters.requestsReceived++;
    hooks.opened(conn);
    // Node passes the raw list as a 4th argument (not in @types/node): names lower case, pseudo-headers included.
    const lab = isRecording(ctx.recorder) ? readLabHeaders(rawHeaders ?? flatten(headers)) : null;
    (stream as PendingStream)[kState] = { ctx, hooks, conn, lab, nth, method: headers[':method'] ?? 'UNKNOWN', bytes: 0 };
    // A stream the client resets with an error code emits 'error': its end is the session's business, never a crash.
    stream.on('error', ignore);
    stream.once('close', onStreamClose);
    // Read every stream: a bodiless one (END_STREAM on its HEADERS) ends at once.
    stream.on('data', onStreamData);
    stream.once('end', onStreamEnd);
  };
}

const kState = Symbol('lab.h2cStream');

interface StreamState {
  ctx: OriginContext;
  hooks: StreamHooks;
  conn: H2cConnection;
  lab: LabHeaders | null;
  nth: number;
  method: string;
  bytes: number;
}

type PendingStream = ServerHttp2Stream & { [kState]?: StreamState };

function ignore(): void {}

function onStreamData(this: PendingStream, chunk: Buffer): void {
  const p = this[kState];
  if (p !== undefined) p.bytes += chunk.length;
}

/** The request is read: record it (as handler.ts does, bytes included), then answer. */
function onStreamEnd(this: PendingStream): void {
  const p = this[kState];
  if (p === undefined) return;
  const ctx = p.ctx;
  recordRequest(ctx, p.conn, p.lab, p.nth, p.method, p.bytes);
  const delay = ctx.options.delay;
  if (delay > 0) {
    // Unref'd: a pending answer must not keep a closing process alive; its socket does while it matters.
    setTimeout(respond, delay, this).unref();
  } else {
    respond(this);
  }
}

/** The one place an h2c response is written. */
function respond(stream: PendingStream): void {
  const p = stream[kState];
  // The client reset the stream (or the session went) meanwhile: nothing to answer.
  if (p === undefined || stream.destroyed || stream.closed) return;
  stream.respond(p.conn.headersFor(p.nth));
  stream.end(p.ctx.template.body);
  p.conn.answered++;
  p.ctx.counters.requestsAnswered++;
}

function onStreamClose(this: PendingStream): void {
  const p = this[kState];
  if (p === undefined) return;
  this[kState] = undefined;
  p.hooks.closed(p.conn);
}

/** The headers object back to a flat [name, value, ...] list, for readLabHeaders. */
function flatten(headers: IncomingHttpHeaders): string[] {
  const raw: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) raw.push(name, v);
  }
  return raw;
}
