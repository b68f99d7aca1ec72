import net, { type Socket } from 'node:net';
import type { ClientRecord } from '@keepalive-lab/core';
import { errorCode, type LoadRun } from './load-run.js';
import { NEED_MORE, PARSE_ERROR, ResponseParser } from './response-parser.js';
import { RequestBytes } from './request-bytes.js';

/**
 * The speed engine: raw `net` sockets, one request at a time per connection,
 * min(concurrency, maxSockets) connections. Requests are issued into a window
 * of `concurrency` (their start) and wait for a free connection, as the
 * Agent's queue makes them wait. Per response: counters and the record only.
 *
 *   issued window (concurrency) ──► FastConnection × k ──► socket ──► parser
 *
 * Pacing (`interval`, `rate`, `intervalSweep`) delays issuing, as the agent
 * engine's does: LoadRun's pacing timer issues a request when it is due and
 * wakes a parked connection. A connection with nothing to send while more
 * requests are due parks with its socket kept alive: the idle socket is the
 * point of a sweep. Without pacing none of this runs: no timer per request.
 */
export async function runFastEngine(run: LoadRun): Promise<void> {
  const o = run.o;
  const bytes = new RequestBytes(o);
  const open = new Set<Socket>();
  // Issued but not yet written: a FIFO by id, since ids are issued in order.
  const waiting: ClientRecord[] = [];
  let waitingHead = 0;

  const take = (): ClientRecord | null => {
    if (waitingHead < waiting.length) {
      const rec = waiting[waitingHead++] ?? null;
      if (waitingHead === waiting.length) waiting.length = waitingHead = 0;
      return rec;
    }
    return null;
  };
  // Pacing only: connections waiting for work, their sockets kept alive.
  const parked: FastConnection[] = [];
  /** An issued request joins the FIFO. From the pacing timer, a parked connection takes it; from a finishing
   * connection, that connection takes it next; none parked: all busy, the first to finish takes it. */
  const start = (rec: ClientRecord, fromTimer: boolean): void => {
    waiting.push(rec);
    if (fromTimer) wake();
  };
  /** As the Agent picks: the most recently freed open socket, else a slot that opens a new one. */
  const wake = (): void => {
    let i = parked.length - 1;
    for (let j = i; j >= 0; j--) {
      if (parked[j]?.connected) {
        i = j;
        break;
      }
    }
    if (i >= 0) parked.splice(i, 1)[0]?.next();
  };
  const refill = (): void => run.slotFree(true);
  /** Called by a connection with nothing to send: true = it waits, socket kept, for a paced request to come. */
  const park = (c: FastConnection): boolean => {
    if (!o.paced || !run.moreToIssue) return false;
    parked.push(c);
    return true;
  };

  const k = Math.min(o.concurrency, o.maxSockets, o.requests);
  const conns: FastConnection[] = [];
  const onAbort = (): void => {
    run.abort();
    parked.length = 0;
    for (let rec = take(); rec !== null; rec = take()) run.finish(rec, 'ABORTED');
    for (const c of conns) c.abort();
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    run.begin(start);
    for (let i = 0; i < Math.min(o.concurrency, o.requests); i++) run.slotFree(false);
    for (let i = 0; i < k; i++) conns.push(new FastConnection(run, bytes, open, take, refill, park));
    if (o.signal?.aborted) onAbort();
    for (const c of conns) c.next();
    await run.ended;
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    run.dispose();
    parked.length = 0;
    for (const c of conns) c.abort();
    // Until each has emitted 'close' (`closed` is true a tick before it): its byte counts are taken there.
    await Promise.all([...open].map((s) => new Promise((r) => s.once('close', r))));
  }
}

/** One client connection slot: reconnects when its socket closes and work remains. */
class FastConnection {
  #socket: Socket | null = null;
  #port: number | null = null;
  /** Requests already carried by the current socket: the next one is reused if > 0. */
  #carried = 0;
  #rec: ClientRecord | null = null;
  #lastError: string | null = null;
  #timer: NodeJS.Timeout | null = null;
  readonly #parser: ResponseParser;

  constructor(
    private readonly run: LoadRun,
    private readonly bytes: RequestBytes,
    private readonly open: Set<Socket>,
    private readonly take: () => ClientRecord | null,
    private readonly refill: () => void,
    private readonly park: (c: FastConnection) => boolean,
  ) {
    this.#parser = new ResponseParser(run.o.method === 'HEAD');
  }

  /** Has a socket (open or opening): parked, it is a free kept-alive socket. */
  get connected(): boolean {
    return this.#socket !== null;
  }

  /** Sends the next waiting request, opening a socket if needed; parks (paced runs) or closes when there is none. */
  next(): void {
    const rec = this.take();
    if (rec === null) {
      // Paced, more to come: keep the socket idle (a server may close it meanwhile: the next request reconnects).
      if (this.park(this)) return;
      this.#drop();
      if (this.#timer !== null) clearTimeout(this.#timer);
      return;
    }
    this.#rec = rec;
    if (this.#socket === null) this.#connect();
    const s = this.#socket;
    if (s === null) return;
    rec.reused = this.#carried > 0;
    rec.clientPort = this.#port; // null while connecting: set on 'connect'
    this.#carried++;
    s.write(this.bytes.forId(rec.id));
    if (this.#timer === null) {
      this.#timer = setTimeout(() => this.#onTimeout(), this.run.o.timeout);
      this.#timer.unref();
    } else this.#timer.refresh();
  }

  /** Ends the in-flight request with ABORTED and drops the socket. */
  abort(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#end('ABORTED', false);
    this.#drop();
  }

  #connect(): void {
    const s = net.connect({ host: this.run.o.host, port: this.run.o.port, noDelay: true });
    this.#socket = s;
    this.#port = null;
    this.#carried = 0;
    this.#lastError = null;
    this.#parser.reset();
    this.open.add(s);
    s.on('connect', () => {
      this.#port = s.localPort ?? null;
      if (this.#socket === s && this.#rec !== null && this.#rec.clientPort === null) this.#rec.clientPort = this.#port;
    });
    s.on('data', (chunk: Buffer) => {
      if (this.#socket === s) this.#onData(chunk);
    });
    s.on('error', (err) => {
      // Recorded on the in-flight request by the 'close' that always follows.
      if (this.#socket === s) this.#lastError = errorCode(err);
    });
    s.on('close', () => {
      this.open.delete(s);
      this.run.countSocket(s);
      if (this.#socket === s) this.#onClose();
    });
  }

  #onData(chunk: Buffer): void {
    if (this.#rec === null) {
      // Bytes nobody asked for (a server answering twice): the connection can't be trusted.
      this.#drop();
      return;
    }
    const p = this.#parser;
    const r = p.execute(chunk);
    if (r === NEED_MORE) return;
    if (r === PARSE_ERROR) {
      this.#end('HPE_INVALID_RESPONSE', true);
      return;
    }
    // Bytes beyond the response (a server answering twice): finish it, but do not reuse the socket.
    this.#complete(r < chunk.length);
  }

  #complete(untrusted = false): void {
    const p = this.#parser;
    const rec = this.#rec;
    if (rec === null) return;
    rec.status = p.status;
    rec.originPort = p.originPort;
    rec.origin = p.origin;
    rec.originConn = p.originConn;
    rec.nthOnConn = p.originNth;
    rec.responseHop = p.hop;
    this.run.responseBytes += p.bodyBytes;
    const reusable = !p.close && this.run.o.keepAlive && !untrusted;
    p.reset();
    this.#rec = null;
    if (!reusable) this.#drop();
    // Finish before refilling, as the agent engine does: the next request starts after this one's end,
    // which a gap measured from the previous end (a sweep at concurrency 1) needs.
    this.run.finish(rec, null);
    this.refill();
    this.next();
  }

  #onClose(): void {
    this.#socket = null;
    if (this.#rec === null) return; // closed while idle: the next request reconnects
    if (this.#parser.finishOnEof() && this.#lastError === null) {
      this.#complete();
      return;
    }
    // Closed before the response ended without a socket error: the peer closed (FIN), as the agent engine's 'EOF'.
    this.#end(this.#lastError ?? 'EOF', true);
  }

  #onTimeout(): void {
    // One timer per connection, refreshed per request: fires `timeout` ms after the last write.
    if (this.#rec !== null) this.#end('TIMEOUT', true);
  }

  /** Fails the in-flight request; its socket is dropped (its state is unknown). */
  #end(error: string, continueAfter: boolean): void {
    const rec = this.#rec;
    if (rec === null) return;
    this.#rec = null;
    this.#drop();
    this.run.finish(rec, error);
    this.refill();
    if (continueAfter) this.next();
  }

  /** Lets go of the current socket; its late events are ignored. */
  #drop(): void {
    const s = this.#socket;
    if (s === null) return;
    this.#socket = null;
    s.destroy();
  }
}
