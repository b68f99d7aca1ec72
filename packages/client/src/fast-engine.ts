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
  const refill = (): void => {
    const rec = run.issue();
    if (rec !== null) waiting.push(rec);
  };

  const k = Math.min(o.concurrency, o.maxSockets, o.requests);
  const conns: FastConnection[] = [];
  const onAbort = (): void => {
    run.abort();
    for (let rec = take(); rec !== null; rec = take()) run.finish(rec, 'ABORTED');
    for (const c of conns) c.abort();
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    run.begin();
    for (let i = 0; i < o.concurrency; i++) refill();
    for (let i = 0; i < k; i++) conns.push(new FastConnection(run, bytes, open, take, refill));
    if (o.signal?.aborted) onAbort();
    for (const c of conns) c.next();
    await run.ended;
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    for (const c of conns) c.abort();
    await Promise.all([...open].map((s) => (s.closed ? null : new Promise((r) => s.once('close', r)))));
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
  ) {
    this.#parser = new ResponseParser(run.o.method === 'HEAD');
  }

  /** Sends the next waiting request, opening a socket if needed; closes when there is none. */
  next(): void {
    const rec = this.take();
    if (rec === null) {
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
    this.refill();
    this.run.finish(rec, null);
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
    this.refill();
    this.run.finish(rec, error);
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
