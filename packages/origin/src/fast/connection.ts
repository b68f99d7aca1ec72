import type { Socket } from 'node:net';
import {
  consumeSocket,
  pauseReading,
  releaseSocket,
  resumeReading,
  strictParser,
  type CloseReason,
  type HttpParser,
  type Llhttp,
  type ParseError,
} from '@keepalive-lab/core';
import { closeReason } from '../connection.js';
import { connectionClosed, connectionOpened, isRecording, recordRequest, type OriginContext } from '../context.js';
import { connectionHeaders, readLabHeaders, type LabHeaders } from '../response.js';
import {
  BAD_REQUEST,
  CONTINUE,
  dateHeader,
  headParts,
  HEADER_TOO_LARGE,
  NO_HOST_END,
  NO_HOST_START,
  OVER_END,
  OVER_START,
  type ConnectionLines,
  type HeadParts,
} from './response-head.js';

/** What every connection of one fast origin shares. */
export interface FastShared {
  readonly ctx: OriginContext;
  readonly llhttp: Llhttp;
  readonly lines: ConnectionLines;
  readonly maxHeaderSize: number;
  /** The live connections, for the idle sweep and close(). */
  readonly open: Set<FastConnection>;
}

/** One request between its head and its answer. */
interface Pending {
  readonly nth: number;
  readonly method: string;
  readonly lab: LabHeaders | null;
  /** The request keeps the connection alive (llhttp's verdict: version and Connection header). */
  readonly keepAlive: boolean;
  bytes: number;
  /** Read whole (and recorded); its answer may go once it is first in line and not delayed. */
  ready: boolean;
  /**
   * Answered by node:http itself in the node engine, never a request of the origin's (no nth, no event, not
   * counted): 'no-host', HTTP/1.1 without Host (node's 400, requireHostHeader); 'over', a request pipelined
   * behind the Nth under maxRequestsPerSocket (node's 503). Null: the origin's own.
   */
  readonly refused: 'no-host' | 'over' | null;
}

const kConn = Symbol('lab.fastConn');
type Owned = { [kConn]: FastConnection };

/**
 * One accepted connection of the fast engine: a strict llhttp request parser
 * reading the socket in C++ (core's llhttp.ts, consumeSocket), and the
 * answers in request order (pipelining). The same facts as connection.ts
 * keeps for the node engine, the same conn-open/request/conn-close events,
 * and node:http's keep-alive rules written out:
 *
 * - a request's keep-alive is llhttp's verdict (HTTP/1.1 unless `Connection:
 *   close`; HTTP/1.0 only with `Connection: keep-alive`), as node's is;
 * - the request is recorded once its body is read (bytes counted from the
 *   parser's de-chunked body pieces), then answered, after `delay` if set;
 *   answers leave in request order, each one write;
 * - a response that ends the connection (the request's own close, keepAlive
 *   false, the Nth under maxRequestsPerSocket, the origin closing) says
 *   `Connection: close`; nothing behind its request is read, and the socket is
 *   ended and destroyed once the write is flushed (node's destroySoon). A
 *   request pipelined behind the Nth and read before its answer left gets
 *   node's 503 (never the node engine's handler's: no nth, no event), and the
 *   connection closes (node 20 leaves it open until its idle timer then);
 * - idle: nothing in flight since the last byte read or written, and at least
 *   one answer given (node arms its keep-alive timer at the first response's
 *   finish; before that its headersTimeout applies, which this engine does
 *   not have), for keepAliveTimeout + idleCloseBuffer: closed by the origin's
 *   sweep (fast/serve.ts), `idle-timeout`. keepAliveTimeout 0: never;
 * - bytes llhttp refuses: 400 (431 for an oversized head) with `Connection:
 *   close`, as node's socketOnError writes them, then the connection closes
 *   (`error`, the parse error being the socket's, as the node engine records
 *   it); only this connection;
 * - an HTTP/1.1 request without Host: node's 400 (its requireHostHeader), in
 *   its turn, then close; not a request of the origin's (no nth, no event),
 *   and no close reason of its own (the node engine's handler never sees it);
 * - the peer's FIN: what is in flight is abandoned and this side ends too
 *   (node's default, httpAllowHalfOpen false); `peer-closed`.
 *
 * Not reproduced (node:http does them): the headersTimeout/requestTimeout
 * checks, and 'upgrade' (an Upgrade request is answered like any other, and
 * the connection then closes: llhttp parses nothing behind it).
 *
 * Listeners and parser callbacks are module functions shared by every
 * connection, finding theirs through `kConn` (no closure per connection).
 */
export class FastConnection {
  readonly id: number;
  readonly remotePort: number | null;
  readonly socket: Socket;
  readonly #shared: FastShared;
  readonly #head: HeadParts;
  #parser: HttpParser | null;
  #consumed: boolean;
  /** Requests whose head arrived; the latest one's nth. */
  received = 0;
  /** Responses written: `requests` in conn-close. */
  answered = 0;
  readonly #queue: Pending[] = [];
  /** The request whose body is being read. */
  #reading: Pending | null = null;
  #fields: string[] | null = null;
  /** ms timestamp of the last read or write: the idle close counts from it. */
  activeAt: number;
  /** Read no further requests: one in hand ends the connection, or it is ending. */
  #stopped = false;
  /** This side is ending the connection: nothing more is written; destroyed once flushed. */
  #ending = false;
  /** The close facts, as connection.ts's Connection names them (its closeReason reads both engines'). */
  reason: CloseReason | null = null;
  /** Set when a response told the client this side will close. */
  closingAfterResponse: 'max-requests' | 'connection-close' | null = null;
  peerFinFirst = false;
  errorCode: string | null = null;
  #pausedForDrain = false;
  /** The last answer is written; the end follows within the tick (#closeAfter). */
  #finishing = false;

  constructor(shared: FastShared, socket: Socket) {
    this.#shared = shared;
    this.socket = socket;
    const ctx = shared.ctx;
    this.remotePort = socket.remotePort ?? null;
    this.id = connectionOpened(ctx, this.remotePort);
    this.#head = headParts(connectionHeaders(ctx.template, this.id, this.remotePort));
    this.activeAt = Date.now();
    (socket as unknown as Owned)[kConn] = this;
    const p = strictParser(shared.llhttp, 'request', shared.maxHeaderSize);
    (p as unknown as Owned)[kConn] = this;
    const P = shared.llhttp.HTTPParser;
    p[P.kOnHeaders] = onHeaders;
    p[P.kOnHeadersComplete] = onHeadersComplete;
    p[P.kOnBody] = onBody;
    p[P.kOnMessageComplete] = onMessageComplete;
    p[P.kOnExecute] = onExecute;
    this.#parser = p;
    // Reads go to the parser in C++; to 'data' if the handle cannot be consumed.
    // The 'data' listener stays either way: a flowing socket is what emits 'end'.
    this.#consumed = consumeSocket(p, socket);
    socket.on('data', onData);
    socket.on('drain', onDrain);
    socket.on('end', onEnd);
    socket.on('error', onError);
    socket.once('close', onClose);
    shared.open.add(this);
  }

  /** Nothing is waiting for its answer, and an answer was given: the keep-alive idle clock runs. */
  get idle(): boolean {
    return this.answered > 0 && this.quiet && !this.#ending;
  }

  /** Nothing is in flight (close() may end it at once). */
  get quiet(): boolean {
    return this.#queue.length === 0 && this.#reading === null;
  }

  executed(r: number | ParseError): void {
    this.activeAt = Date.now();
    // Bytes behind a request that ends the connection are never read (llhttp refuses them: HPE_CLOSED_CONNECTION).
    if (!(r instanceof Error) || (this.#stopped && this.#reading === null)) return;
    // llhttp refused the bytes: node's socketOnError answers when no answer of this connection has begun (ours are
    // written whole, so: always) and closes. Requests in flight are abandoned, as node's destroy abandons them.
    this.#stopped = true;
    this.#reading = null;
    this.#queue.length = 0;
    // node destroys the socket with the parse error: the node engine records `error` (the HPE code was the socket's error).
    this.errorCode ??= r.code;
    this.#endAfter(r.code === 'HPE_HEADER_OVERFLOW' ? HEADER_TOO_LARGE : BAD_REQUEST);
  }

  headersComplete(
    major: number,
    minor: number,
    fields: string[] | undefined,
    methodIndex: number | undefined,
    upgrade: boolean,
    keepAlive: boolean,
  ): void {
    let raw = fields;
    if (raw === undefined) {
      raw = this.#fields ?? [];
      this.#fields = null;
    }
    if (this.#stopped) return;
    const ctx = this.#shared.ctx;
    const max = ctx.options.maxRequestsPerSocket;
    // HTTP/1.0 asks for neither a Host nor a 100 Continue: no scan.
    const seen = major === 1 && minor >= 1 ? scanHead(raw) : 0;
    // node answers these itself in their turn, before its 'request' event (lib/_http_server.js parserOnIncoming).
    const refused = max > 0 && this.received >= max ? 'over' : major === 1 && minor === 1 && (seen & HAS_HOST) === 0 ? 'no-host' : null;
    if (refused !== null) {
      if (refused === 'no-host') this.#stopped = true;
      const bad: Pending = { nth: 0, method: '', lab: null, keepAlive: false, bytes: 0, ready: false, refused };
      this.#reading = bad;
      this.#queue.push(bad);
      return;
    }
    const nth = ++this.received;
    ctx.counters.requestsReceived++;
    // As handler.ts: the id and hop-by-hop headers only go into events, so no header scan when nobody records.
    const lab = isRecording(ctx.recorder) ? readLabHeaders(raw) : null;
    const keeps = keepAlive && !upgrade;
    // Under maxRequestsPerSocket, reading goes on after the Nth until its answer is out: what came meanwhile gets node's 503.
    if (!keeps) this.#stopped = true;
    const p: Pending = {
      nth,
      method: this.#shared.llhttp.METHODS[methodIndex ?? -1] ?? 'UNKNOWN',
      lab,
      keepAlive: keeps,
      bytes: 0,
      ready: false,
      refused: null,
    };
    this.#reading = p;
    this.#queue.push(p);
    // node's default for `Expect: 100-continue` (no 'checkContinue' listener): 100 Continue at once, then the request.
    if ((seen & EXPECTS_CONTINUE) !== 0) this.socket.write(CONTINUE, 'latin1');
  }

  addHeaders(fields: string[]): void {
    if (this.#fields === null) this.#fields = fields;
    else for (const f of fields) this.#fields.push(f);
  }

  body(chunk: Buffer): void {
    const p = this.#reading;
    if (p !== null) p.bytes += chunk.length;
  }

  /** The request is read: record it (handler.ts's event, bytes included), then answer it now or after `delay`. */
  messageComplete(): void {
    const p = this.#reading;
    if (p === null) return;
    this.#reading = null;
    if (p.refused !== null) {
      this.ready(p);
      return;
    }
    const ctx = this.#shared.ctx;
    recordRequest(ctx, this, p.lab, p.nth, p.method, p.bytes);
    const delay = ctx.options.delay;
    if (delay > 0) {
      // Unref'd: a pending answer must not keep a closing process alive; its socket does while it matters.
      setTimeout(answerLater, delay, this, p).unref();
      return;
    }
    this.ready(p);
  }

  ready(p: Pending): void {
    p.ready = true;
    this.#flush();
  }

  /** Writes the answers that are ready, in request order. */
  #flush(): void {
    const q = this.#queue;
    while (q.length > 0 && (q[0] as Pending).ready) {
      const p = q.shift() as Pending;
      if (this.socket.destroyed || this.#ending) return;
      if (!this.#finishing) this.#answer(p);
      else if (p.refused === 'over') this.socket.write(refusal('over', Date.now()), 'latin1');
    }
  }

  /** The one place a response is written: head and body, one write. */
  #answer(p: Pending): void {
    if (p.refused !== null) {
      // The node engine never sees these (its handler does not run): no close reason of its own, so none here.
      this.#stopped = true;
      this.#closeAfter(refusal(p.refused, Date.now()));
      return;
    }
    const shared = this.#shared;
    const { ctx, lines } = shared;
    const o = ctx.options;
    const h = this.#head;
    const maxReached = o.maxRequestsPerSocket > 0 && p.nth >= o.maxRequestsPerSocket;
    // Where node puts them: a `connection: close` the origin set goes with the stamps, before Date; node's own after it.
    let stamped = '';
    let own = '';
    let closes = true;
    if (h.closes) {
      // keepAlive false: the stamps carry it already.
    } else if (ctx.closing) stamped = lines.closing;
    else if (p.keepAlive && !maxReached) {
      own = lines.keepAlive;
      closes = false;
    } else own = lines.close;
    if (closes) this.closingAfterResponse ??= maxReached ? 'max-requests' : 'connection-close';
    const now = Date.now();
    // node sends no body for HEAD (content-length stays: the length a GET would get).
    const body = p.method === 'HEAD' ? '' : ctx.template.body;
    const bytes = `${h.start}${p.nth}\r\n${h.tail}${stamped}${dateHeader(now)}${own}\r\n${body}`;
    this.answered++;
    ctx.counters.requestsAnswered++;
    this.activeAt = now;
    if (closes) {
      // Past maxRequestsPerSocket, heads still read in this tick get node's 503 (#closeAfter); otherwise none is read.
      if (!maxReached) this.#stopped = true;
      this.#closeAfter(bytes);
      return;
    }
    if (!this.socket.write(bytes, 'latin1') && !this.#pausedForDrain) {
      // The client is not reading its answers: stop reading its requests until it does (node pauses likewise).
      this.#pausedForDrain = true;
      pauseReading(this.socket);
    }
  }

  /**
   * The connection's last answer. Written now; the end comes after the read
   * under way is parsed (next tick): what it held behind (pipelined past
   * maxRequestsPerSocket) gets node's 503 in between, as node's parser goes
   * on while the Nth answer flushes. Nothing else queued is answered.
   */
  #closeAfter(bytes: string): void {
    this.#finishing = true;
    this.socket.write(bytes, 'latin1');
    process.nextTick(finishClose, this);
  }

  finishClose(): void {
    this.#stopped = true;
    this.#queue.length = 0;
    this.#reading = null;
    this.#endAfter(null);
  }

  drained(): void {
    if (!this.#pausedForDrain) return;
    this.#pausedForDrain = false;
    resumeReading(this.socket);
  }

  /** Writes the last bytes, ends this side, and destroys the socket once they are flushed (node's destroySoon). */
  #endAfter(last: string | null): void {
    this.#ending = true;
    const s = this.socket;
    if (s.destroyed || s.writableEnded) return;
    s.once('finish', destroyWhenFlushed);
    if (last === null) s.end();
    else s.end(last, 'latin1');
  }

  /** The sweep found it idle too long: node's keep-alive timer would have destroyed it. */
  idleOut(): void {
    this.reason ??= 'idle-timeout';
    this.socket.destroy();
  }

  /** At close(): idle now, busy after its answers (each carrying `Connection: close`). */
  endForClose(): void {
    this.reason ??= 'server-close';
    if (this.quiet) {
      this.#stopped = true;
      this.#endAfter(null);
    }
  }

  peerEnded(): void {
    if (!this.socket.writableEnded) this.peerFinFirst = true;
    // node's socketOnEnd (httpAllowHalfOpen false): what is in flight is abandoned, and this side ends.
    this.#stopped = true;
    this.#reading = null;
    this.#queue.length = 0;
    this.#endAfter(null);
  }

  errored(err: NodeJS.ErrnoException): void {
    this.errorCode ??= err.code ?? err.name;
  }

  closed(): void {
    const shared = this.#shared;
    shared.open.delete(this);
    this.#queue.length = 0;
    this.#reading = null;
    connectionClosed(shared.ctx, this.id, this.remotePort, this.answered, () => closeReason(this));
    const p = this.#parser;
    if (p === null) return;
    this.#parser = null;
    if (this.#consumed) releaseSocket(p, this.socket);
    // Not from inside one of its own callbacks (node's freeParser does the same).
    setImmediate(closeParser, p);
  }

  /** A read of a socket whose handle could not be consumed. */
  dataRead(data: Buffer): void {
    if (this.#consumed || this.#parser === null) return;
    this.executed(this.#parser.execute(data));
  }
}

const of = (o: unknown): FastConnection => (o as Owned)[kConn];

/** The fast connection of an accepted socket (each has one from accept on), or undefined. */
export const fastConnectionOf = (socket: Socket): FastConnection | undefined => (socket as Partial<Owned>)[kConn];

function onExecute(this: HttpParser, r: number | ParseError): void {
  of(this).executed(r);
}

function onHeaders(this: HttpParser, fields: string[]): void {
  of(this).addHeaders(fields);
}

function onHeadersComplete(
  this: HttpParser,
  major: number,
  minor: number,
  fields: string[] | undefined,
  method: number | undefined,
  _url: string | undefined,
  _status: number | undefined,
  _message: string | undefined,
  upgrade: boolean,
  keepAlive: boolean,
): number {
  of(this).headersComplete(major, minor, fields, method, upgrade, keepAlive);
  return 0;
}

function onBody(this: HttpParser, chunk: Buffer): void {
  of(this).body(chunk);
}

function onMessageComplete(this: HttpParser): void {
  of(this).messageComplete();
}

function onData(this: Socket, data: Buffer): void {
  of(this).dataRead(data);
}

function onDrain(this: Socket): void {
  of(this).drained();
}

function onEnd(this: Socket): void {
  of(this).peerEnded();
}

function onError(this: Socket, err: NodeJS.ErrnoException): void {
  of(this).errored(err);
}

function onClose(this: Socket): void {
  of(this).closed();
}

function destroyWhenFlushed(this: Socket): void {
  this.destroy();
}

function finishClose(conn: FastConnection): void {
  conn.finishClose();
}

function answerLater(conn: FastConnection, p: Pending): void {
  conn.ready(p);
}

function closeParser(p: HttpParser): void {
  p.close();
}

/** node's own answer to a request it refuses before the origin's handler (see Pending.refused). */
function refusal(kind: 'no-host' | 'over', now: number): string {
  return kind === 'no-host' ? `${NO_HOST_START}${dateHeader(now)}${NO_HOST_END}` : `${OVER_START}${dateHeader(now)}${OVER_END}`;
}

const HAS_HOST = 1;
const EXPECTS_CONTINUE = 2;

/**
 * One scan of the raw headers for what node:http checks on an HTTP/1.1 head:
 * a Host header (HAS_HOST) and `Expect: 100-continue` (EXPECTS_CONTINUE, the
 * first Expect decides). Only names of length 4 or 6 are lower-cased.
 */
function scanHead(raw: string[]): number {
  let seen = 0;
  let expectSeen = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] ?? '';
    if (name.length === 4) {
      if (name.toLowerCase() === 'host') seen |= HAS_HOST;
    } else if (name.length === 6 && !expectSeen && name.toLowerCase() === 'expect') {
      expectSeen = true;
      if ((raw[i + 1] ?? '').toLowerCase() === '100-continue') seen |= EXPECTS_CONTINUE;
    }
  }
  return seen;
}
