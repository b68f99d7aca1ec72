import net, { type Socket } from 'node:net';
import { errorCode, NONE, type LoadRun } from './load-run.js';
import { NEED_MORE, PARSE_ERROR, ResponseParser } from './response-parser.js';
import { RequestBytes } from './request-bytes.js';

/** The run's one read buffer (see runFastEngine). */
const READ_BUFFER = 64 * 1024;

/**
 * The speed engine: raw `net` sockets, one request at a time per connection,
 * min(concurrency, maxSockets) connections. Requests are issued into a window
 * of `concurrency` (their start) and wait for a free connection, as the
 * Agent's queue makes them wait. Per response: counters and the record's row.
 *
 *   issued window (concurrency) ──► FastConnection × k ──► socket ──► parser
 *
 * Per request nothing is allocated that outlives it: every socket reads into
 * one buffer of the run (`onread`: node calls back synchronously per read, and
 * the parser copies the little it keeps), a connection rewrites the digits of
 * its request's id in place, and the record is a row of the run's store.
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
  const readBuffer = Buffer.allocUnsafe(READ_BUFFER);
  // Issued but not yet written: a FIFO of rows, since requests are issued in order.
  const waiting: number[] = [];
  let waitingHead = 0;

  const take = (): number => {
    if (waitingHead < waiting.length) {
      const i = waiting[waitingHead++] ?? NONE;
      if (waitingHead === waiting.length) waiting.length = waitingHead = 0;
      return i;
    }
    return NONE;
  };
  // Pacing only: connections waiting for work, their sockets kept alive.
  const parked: FastConnection[] = [];
  /** An issued request joins the FIFO. From the pacing timer, a parked connection takes it; from a finishing
   * connection, that connection takes it next; none parked: all busy, the first to finish takes it. */
  const start = (i: number, fromTimer: boolean): void => {
    waiting.push(i);
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
  const refill = (now: number): void => run.slotFree(true, now);
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
    for (let i = take(); i !== NONE; i = take()) run.finish(i, 'ABORTED');
    for (const c of conns) c.abort();
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    run.begin(start);
    for (let i = 0; i < Math.min(o.concurrency, o.requests); i++) run.slotFree(false);
    for (let i = 0; i < k; i++) conns.push(new FastConnection(run, bytes, readBuffer, open, take, refill, park));
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
  /** The request in flight (its row), or NONE. */
  #rec = NONE;
  /** When it was written: its timeout counts from there. */
  #sentAt = 0;
  #lastError: string | null = null;
  /** One per connection, armed once: when it fires it checks the request in flight and re-arms for what is left of its time. */
  #timer: NodeJS.Timeout | null = null;
  /** This connection's request bytes, rewritten for each request it sends. */
  #request: Buffer | null = null;
  readonly #parser: ResponseParser;

  constructor(
    private readonly run: LoadRun,
    private readonly bytes: RequestBytes,
    private readonly readBuffer: Buffer,
    private readonly open: Set<Socket>,
    private readonly take: () => number,
    private readonly refill: (now: number) => void,
    private readonly park: (c: FastConnection) => boolean,
  ) {
    this.#parser = new ResponseParser(run.o.method === 'HEAD');
  }

  /** Has a socket (open or opening): parked, it is a free kept-alive socket. */
  get connected(): boolean {
    return this.#socket !== null;
  }

  /**
   * Sends the next waiting request, opening a socket if needed; parks (paced runs) or closes when there is none.
   * `now`: the clock, when the caller has just read it.
   */
  next(now = this.run.o.recorder.now()): void {
    const i = this.take();
    if (i === NONE) {
      // Paced, more to come: keep the socket idle (a server may close it meanwhile: the next request reconnects).
      if (this.park(this)) return;
      this.#drop();
      if (this.#timer !== null) clearTimeout(this.#timer);
      this.#timer = null;
      return;
    }
    this.#rec = i;
    if (this.#socket === null) this.#connect();
    const s = this.#socket;
    if (s === null) return;
    // The port is null while connecting: set on 'connect'.
    this.run.store.setSocket(i, this.#port, this.#carried > 0);
    this.#carried++;
    s.write(this.#requestFor(i + 1, s));
    this.#sentAt = now;
    if (this.#timer === null) this.#arm(this.run.o.timeout);
  }

  /** Request n: this connection's buffer, rewritten, unless the socket still holds it unsent. */
  #requestFor(n: number, s: Socket): Buffer {
    const b = this.#request;
    if (b !== null && s.writableLength === 0 && this.bytes.rewrite(b, n)) return b;
    this.#request = this.bytes.build(n);
    return this.#request;
  }

  /** Ends the in-flight request with ABORTED and drops the socket. */
  abort(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#end('ABORTED', false);
    this.#drop();
  }

  #connect(): void {
    const s = net.connect({
      host: this.run.o.host,
      port: this.run.o.port,
      noDelay: true,
      onread: {
        buffer: this.readBuffer,
        // true: keep reading (false would pause the socket).
        callback: (n: number): boolean => {
          if (this.#socket === s) this.#onData(n);
          return true;
        },
      },
    });
    this.#socket = s;
    this.#port = null;
    this.#carried = 0;
    this.#lastError = null;
    this.#parser.reset();
    this.open.add(s);
    s.on('connect', () => {
      this.#port = s.localPort ?? null;
      if (this.#socket === s && this.#rec !== NONE) this.run.store.setClientPort(this.#rec, this.#port);
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

  /** `n` bytes of the socket in the run's read buffer. */
  #onData(n: number): void {
    if (this.#rec === NONE) {
      // Bytes nobody asked for (a server answering twice): the connection can't be trusted.
      this.#drop();
      return;
    }
    const r = this.#parser.execute(this.readBuffer, 0, n);
    if (r === NEED_MORE) return;
    if (r === PARSE_ERROR) {
      this.#end('HPE_INVALID_RESPONSE', true);
      return;
    }
    // Bytes beyond the response (a server answering twice): finish it, but do not reuse the socket.
    this.#complete(r < n);
  }

  #complete(untrusted = false): void {
    const p = this.#parser;
    const i = this.#rec;
    if (i === NONE) return;
    this.run.store.setAnswer(i, p.status, p.originPort, p.origin, p.originConn, p.originNth, p.connection, p.keepAlive);
    this.run.responseBytes += p.bodyBytes;
    const reusable = !p.close && this.run.o.keepAlive && !untrusted;
    p.reset();
    this.#rec = NONE;
    if (!reusable) this.#drop();
    // One clock reading: this request's end is the next one's start.
    const now = this.run.o.recorder.now();
    // Finish before refilling, as the agent engine does: the next request starts after this one's end,
    // which a gap measured from the previous end (a sweep at concurrency 1) needs.
    this.run.finish(i, null, now);
    this.refill(now);
    this.next(now);
  }

  #onClose(): void {
    this.#socket = null;
    if (this.#rec === NONE) return; // closed while idle: the next request reconnects
    if (this.#parser.finishOnEof() && this.#lastError === null) {
      this.#complete();
      return;
    }
    // Closed before the response ended without a socket error: the peer closed (FIN), as the agent engine's 'EOF'.
    this.#end(this.#lastError ?? 'EOF', true);
  }

  #arm(ms: number): void {
    this.#timer = setTimeout(() => this.#onTimeout(), ms);
    this.#timer.unref();
  }

  #onTimeout(): void {
    this.#timer = null;
    if (this.#rec === NONE) return; // idle: the next write arms it again
    const left = this.#sentAt + this.run.o.timeout - this.run.o.recorder.now();
    // A request written after the timer was armed: its own time is not up yet.
    if (left > 0) this.#arm(left);
    else this.#end('TIMEOUT', true);
  }

  /** Fails the in-flight request; its socket is dropped (its state is unknown). */
  #end(error: string, continueAfter: boolean): void {
    const i = this.#rec;
    if (i === NONE) return;
    this.#rec = NONE;
    this.#drop();
    const now = this.run.o.recorder.now();
    this.run.finish(i, error, now);
    this.refill(now);
    if (continueAfter) this.next(now);
  }

  /** Lets go of the current socket; its late events are ignored. */
  #drop(): void {
    const s = this.#socket;
    if (s === null) return;
    this.#socket = null;
    s.destroy();
  }
}
