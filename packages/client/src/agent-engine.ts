import http from 'node:http';
import type { Socket } from 'node:net';
import { LAB_HEADERS } from '@keepalive-lab/core';
import { LoadAbortError, errorCode, headerInt, type LoadRun } from './load-run.js';

/**
 * The teaching engine: node:http through a dedicated `http.Agent`, exactly
 * the client of the blog. `concurrency` requests are fired at once; those
 * beyond `maxSockets` wait in the Agent's own queue and take over a pooled
 * socket when it frees up. With keepAlive false every request says
 * `Connection: close`, so each socket carries one request and the origin
 * sees a new port per request.
 *
 * What the lab adds around node stays cheap: the request's headers are one
 * list built per run (node writes a list as it is, without its per-header
 * bookkeeping), the listeners are shared functions reading the request's
 * state from the request (no closures per request), and the answer's stamps
 * are read from its raw header lines in one pass.
 */
export async function runAgentEngine(run: LoadRun): Promise<void> {
  const o = run.o;
  const agent = new http.Agent({ keepAlive: o.keepAlive, maxSockets: o.maxSockets });
  const ctx: AgentRun = { run, open: new Set(), inFlight: new Set() };
  const headers = fixedHeaders(run);

  const send = (i: number): void => {
    const req = http.request({
      host: o.host,
      port: o.port,
      path: o.path,
      method: o.method,
      agent,
      // Host is in the list (node adds none to a list).
      headers: [...headers, o.idPrefix + (i + 1)],
    }) as WithState<http.ClientRequest>;
    const state: RequestState = { ctx, req, i, done: false, timer: null };
    req[STATE] = state;
    ctx.inFlight.add(state);
    req.on('socket', onSocket);
    req.on('response', onResponse);
    req.on('error', onRequestError);
    req.end(o.body ?? undefined);
  };

  const onAbort = (): void => {
    run.abort();
    for (const s of ctx.inFlight) s.req.destroy(new LoadAbortError('ABORTED'));
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
    await Promise.all([...ctx.open].map((s) => new Promise((r) => s.once('close', r))));
  }
}

/** What the shared listeners reach through a request. */
interface AgentRun {
  run: LoadRun;
  /** The run's sockets, from first use to 'close': a socket found here has carried a request before. */
  open: Set<Socket>;
  /** Sent and not ended: what an abort destroys. */
  inFlight: Set<RequestState>;
}

interface RequestState {
  ctx: AgentRun;
  req: http.ClientRequest;
  /** Its row in the run's store. */
  i: number;
  done: boolean;
  timer: NodeJS.Timeout | null;
}

/** Where a request and its response carry their state, for the shared listeners. */
const STATE = Symbol('lab request state');
type WithState<T> = T & { [STATE]: RequestState };
const stateOf = (emitter: http.ClientRequest | http.IncomingMessage): RequestState => (emitter as WithState<typeof emitter>)[STATE];

/**
 * The header lines of every request of the run, as a flat [name, value, ...] list ending with the request
 * id's name (each request appends its value). Connection only where node would not write what is meant:
 * otherwise node writes its own `Connection: keep-alive`, as the blog's client did.
 */
function fixedHeaders(run: LoadRun): string[] {
  const o = run.o;
  const list = ['host', o.hostHeader];
  for (const [name, value] of Object.entries(o.headers)) {
    // The caller's Host is already there, in the URL's place.
    if (name.toLowerCase() === 'host') continue;
    for (const v of Array.isArray(value) ? value : [value]) list.push(name, v);
  }
  // An explicit `Connection: close` makes node destroy the socket after the response
  // instead of handing it to the next queued request (which a non-keep-alive Agent
  // with finite maxSockets would otherwise do).
  // Extra tokens (a hop-by-hop header the proxy must strip) go beside node's own keep-alive token.
  if (!o.keepAlive || o.connectionTokens !== '') list.push('connection', `${o.keepAlive ? 'keep-alive' : 'close'}${o.connectionTokens}`);
  if (o.body !== null) list.push('content-length', String(o.body.length));
  list.push(LAB_HEADERS.requestId);
  return list;
}

function onSocket(this: http.ClientRequest, s: Socket): void {
  const state = stateOf(this);
  const { run, open } = state.ctx;
  // Seen before in this run = reused. Not `req.reusedSocket`: node sets it only when a
  // request finds a free socket, not when a queued one inherits a freed socket.
  const reused = open.has(s);
  if (!reused) {
    open.add(s);
    s.once('close', () => {
      open.delete(s);
      run.countSocket(s);
    });
  }
  // A new socket has no local port until it connects; a reused one keeps its own.
  run.store.setSocket(state.i, s.connecting ? null : (s.localPort ?? null), reused);
  if (s.connecting) s.once('connect', () => run.store.setClientPort(state.i, s.localPort ?? null));
  state.timer = setTimeout(onTimeout, run.o.timeout, this);
}

function onTimeout(req: http.ClientRequest): void {
  req.destroy(new LoadAbortError('TIMEOUT'));
}

function onResponse(this: http.ClientRequest, res: http.IncomingMessage): void {
  const state = stateOf(this);
  (res as WithState<http.IncomingMessage>)[STATE] = state;
  recordAnswer(state, res);
  res.on('data', onBody);
  res.on('end', onEnd);
  // Reset mid-body: node reports it on the response ('aborted', ECONNRESET).
  res.on('error', onResponseError);
  res.on('close', onResponseClose);
}

function onBody(this: http.IncomingMessage, chunk: Buffer): void {
  stateOf(this).ctx.run.responseBytes += chunk.length;
}

function onEnd(this: http.IncomingMessage): void {
  end(stateOf(this), null);
}

function onResponseError(this: http.IncomingMessage, err: Error): void {
  end(stateOf(this), errorCode(err));
}

function onResponseClose(this: http.IncomingMessage): void {
  end(stateOf(this), this.complete ? null : 'ECONNRESET');
}

function onRequestError(this: http.ClientRequest, err: Error): void {
  end(stateOf(this), errorCode(err));
}

function end(state: RequestState, error: string | null): void {
  if (state.done) return;
  state.done = true;
  if (state.timer !== null) clearTimeout(state.timer);
  state.ctx.inFlight.delete(state);
  state.ctx.run.finish(state.i, error);
  // node frees a keep-alive socket on the next tick after 'end' ("after user-added end
  // handlers"); issuing now would find no free socket and open an extra one.
  process.nextTick(slotFreeAfterEnd, state.ctx.run);
}

function slotFreeAfterEnd(run: LoadRun): void {
  run.slotFree(true);
}

/**
 * Status, the origin's stamps and Connection / Keep-Alive (what the Agent decides reuse by), from the raw
 * header lines in one pass; a name given twice has its values joined with ', ', as `res.headers` would.
 */
function recordAnswer(state: RequestState, res: http.IncomingMessage): void {
  const raw = res.rawHeaders;
  let originPort: string | undefined;
  let origin: string | undefined;
  let originConn: string | undefined;
  let nth: string | undefined;
  let connection: string | undefined;
  let keepAlive: string | undefined;
  for (let k = 0; k + 1 < raw.length; k += 2) {
    const name = raw[k] ?? '';
    const v = raw[k + 1] ?? '';
    // sameName looks at the letters only when the lengths match.
    if (sameName(name, 'connection')) connection = joined(connection, v);
    else if (sameName(name, 'keep-alive')) keepAlive = joined(keepAlive, v);
    else if (sameName(name, LAB_HEADERS.originPort)) originPort = joined(originPort, v);
    else if (sameName(name, LAB_HEADERS.origin)) origin = joined(origin, v);
    else if (sameName(name, LAB_HEADERS.originConn)) originConn = joined(originConn, v);
    else if (sameName(name, LAB_HEADERS.originNth)) nth = joined(nth, v);
  }
  state.ctx.run.store.setAnswer(
    state.i,
    res.statusCode ?? Number.NaN,
    headerInt(originPort),
    origin ?? null,
    headerInt(originConn),
    headerInt(nth),
    connection ?? null,
    keepAlive ?? null,
  );
}

const joined = (prev: string | undefined, v: string): string => (prev === undefined ? v : `${prev}, ${v}`);

/** `name` is `lower` in any case. */
function sameName(name: string, lower: string): boolean {
  if (name.length !== lower.length) return false;
  for (let k = 0; k < name.length; k++) {
    const c = name.charCodeAt(k);
    const l = lower.charCodeAt(k);
    // `| 0x20` lower-cases a letter; only letters (from 0x61) may match that way.
    if (c !== l && (l < 0x61 || (c | 0x20) !== l)) return false;
  }
  return true;
}
