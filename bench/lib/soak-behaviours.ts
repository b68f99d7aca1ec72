import { setTimeout as sleep } from 'node:timers/promises';
import { SoakConn } from './soak-conn.js';
import { closeBooks, note, type Tally } from './soak-tally.js';

/**
 * The client behaviours the soak churns, each one session on a fresh
 * connection to the proxy with its own deadline. Sizes and counts are drawn
 * at random within small bounds; every wait ends by the deadline.
 */
export type Behaviour = (port: number, t: Tally) => Promise<void>;

/** How long a session may wait for its answers (ms): far above any answer's latency, far below the run. */
const DEADLINE_MS = 15_000;
/** Slow readers take their time on purpose before they read in full. */
const SLOW_DEADLINE_MS = 25_000;
/** How long after the last answer a closing proxy gets to send its FIN (ms). */
const CLOSE_GRACE_MS = 3_000;
/** The proxy's --client-keep-alive-timeout (soak-children.ts) plus slack: an idle client must be closed by then (ms). */
const IDLE_CLOSE_WITHIN_MS = 2_000 + 4_000;

const int = (lo: number, hi: number): number => lo + Math.floor(Math.random() * (hi - lo + 1));
const chance = (p: number): boolean => Math.random() < p;

function get(path: string, close = false): string {
  return `GET ${path} HTTP/1.1\r\nHost: soak\r\n${close ? 'Connection: close\r\n' : ''}\r\n`;
}

function post(path: string, bytes: number, close = false): string {
  return `POST ${path} HTTP/1.1\r\nHost: soak\r\nContent-Length: ${bytes}\r\n${close ? 'Connection: close\r\n' : ''}\r\n${'p'.repeat(bytes)}`;
}

function chunkedPost(path: string, bytes: number): string {
  const body = 'c'.repeat(bytes);
  return `POST ${path} HTTP/1.1\r\nHost: soak\r\nTransfer-Encoding: chunked\r\n\r\n${bytes.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
}

/** A request of the everyday mix: mostly GETs, some POSTs with a small body, a few chunked. */
function anyRequest(path: string, close = false): string {
  if (chance(0.7)) return get(path, close);
  if (chance(0.8) || close) return post(path, int(0, 2048), close);
  return chunkedPost(path, int(1, 2048));
}

/** Opens a connection; null (counted) if it failed before connecting. */
async function open(port: number, t: Tally, deadline: number): Promise<SoakConn | null> {
  t.sessions++;
  const conn = new SoakConn(port);
  if (await conn.connected(deadline)) return conn;
  t.connectFailed++;
  note(t, `connect failed: ${conn.error ?? 'not accepted by the deadline'}`);
  conn.destroy(false);
  return null;
}

const allAnswered = (conn: SoakConn) => (): boolean => conn.outstanding === 0;

/**
 * A keep-alive client: several requests one after the other, then it leaves:
 * half the time it half-closes and waits for the proxy to close its side (a
 * proxy that does not sits in CLOSE_WAIT), otherwise it simply goes.
 */
export const keepAlive: Behaviour = async (port, t) => {
  const deadline = Date.now() + DEADLINE_MS;
  const conn = await open(port, t, deadline);
  if (conn === null) return;
  const n = int(2, 10);
  for (let i = 0; i < n && conn.open; i++) {
    conn.write(anyRequest(`/soak/keepalive/${i}`), 1);
    if (!(await conn.until(allAnswered(conn), deadline))) break;
    await sleep(int(0, 50));
  }
  if (conn.outstanding === 0 && conn.open && chance(0.5)) {
    conn.sock.end();
    await conn.until(() => false, Date.now() + CLOSE_GRACE_MS);
    note(t, conn.open ? 'proxy did NOT close after the client FIN' : 'proxy closed after the client FIN');
  }
  closeBooks(t, conn, false);
};

/** One request with `Connection: close`: answered, then the proxy must close. */
export const connectionClose: Behaviour = async (port, t) => {
  const deadline = Date.now() + DEADLINE_MS;
  const conn = await open(port, t, deadline);
  if (conn === null) return;
  conn.write(anyRequest('/soak/close', true), 1);
  if (await conn.until(allAnswered(conn), deadline)) {
    const closed = await conn.until(() => false, Date.now() + CLOSE_GRACE_MS).then(() => !conn.open);
    note(t, closed ? 'proxy closed after Connection: close' : 'proxy did NOT close after Connection: close');
  }
  closeBooks(t, conn, false);
};

/** Several requests in one write; sometimes the last asks to close. */
export const pipelined: Behaviour = async (port, t) => {
  const deadline = Date.now() + DEADLINE_MS;
  const conn = await open(port, t, deadline);
  if (conn === null) return;
  const k = int(2, 8);
  const closeLast = chance(0.3);
  let bytes = '';
  for (let i = 0; i < k; i++)
    bytes += chance(0.8)
      ? get(`/soak/pipe/${i}`, closeLast && i === k - 1)
      : post(`/soak/pipe/${i}`, int(0, 512), closeLast && i === k - 1);
  conn.write(bytes, k);
  await conn.until(allAnswered(conn), deadline);
  closeBooks(t, conn, false);
};

/** A POST announcing more body than it sends, then the client vanishes (FIN or RST). */
export const abortMidBody: Behaviour = async (port, t) => {
  const deadline = Date.now() + DEADLINE_MS;
  const conn = await open(port, t, deadline);
  if (conn === null) return;
  const length = 65_536;
  const sendBytes = int(0, 32_768);
  conn.write(`POST /soak/abort-body HTTP/1.1\r\nHost: soak\r\nContent-Length: ${length}\r\n\r\n${'b'.repeat(sendBytes)}`, 1);
  // Long enough, at times, for the proxy to have opened an upstream and forwarded part of the body.
  await conn.until(allAnswered(conn), Date.now() + int(0, 300));
  conn.destroy(chance(0.5));
  closeBooks(t, conn, true);
};

/** Asks for one to three responses and leaves as the first bytes arrive (FIN or RST). */
export const abortMidResponse: Behaviour = async (port, t) => {
  const deadline = Date.now() + DEADLINE_MS;
  const conn = await open(port, t, deadline);
  if (conn === null) return;
  const k = int(1, 3);
  let bytes = '';
  for (let i = 0; i < k; i++) bytes += get(`/soak/abort-response/${i}`);
  conn.write(bytes, k);
  if (await conn.until(() => conn.bytesIn > 0, deadline)) {
    note(t, conn.outstanding > 0 ? 'left with a response under way' : 'every response was whole before it could leave');
    conn.destroy(chance(0.5));
    closeBooks(t, conn, true);
  } else {
    closeBooks(t, conn, false);
  }
};

/**
 * Pipelines many requests and reads them a chunk at a time, a few times a
 * second, so that the proxy meets backpressure; then either reads the rest
 * at full speed or leaves with responses still owed.
 */
export const slowReader: Behaviour = async (port, t) => {
  const deadline = Date.now() + SLOW_DEADLINE_MS;
  const conn = await open(port, t, deadline);
  if (conn === null) return;
  // 0.5-1.5 MB of answers: more than the loopback socket buffers hold, so the proxy has to hold back.
  const k = int(32, 96);
  let bytes = '';
  for (let i = 0; i < k; i++) bytes += get(`/soak/slow/${i}`);
  conn.sock.pause();
  conn.write(bytes, k);
  // Resumed for one chunk at a time: the next 'data' pauses the socket again.
  let dripping = false;
  const pauseAgain = (): void => {
    dripping = false;
    conn.sock.pause();
  };
  const slowUntil = Date.now() + int(3_000, 6_000);
  while (Date.now() < slowUntil && conn.open && conn.outstanding > 0) {
    await sleep(int(300, 600));
    if (dripping) continue;
    dripping = true;
    conn.sock.once('data', pauseAgain);
    conn.sock.resume();
  }
  conn.sock.off('data', pauseAgain);
  if (chance(0.5)) {
    conn.sock.resume();
    await conn.until(allAnswered(conn), deadline);
    closeBooks(t, conn, false);
  } else {
    note(t, conn.outstanding > 0 ? 'left with responses unread' : 'had read everything before leaving');
    conn.destroy(chance(0.5));
    closeBooks(t, conn, true);
  }
};

/** One request, then idle: the proxy must close the connection after its client keep-alive timeout. */
export const idleUntilClosed: Behaviour = async (port, t) => {
  const deadline = Date.now() + DEADLINE_MS;
  const conn = await open(port, t, deadline);
  if (conn === null) return;
  conn.write(get('/soak/idle'), 1);
  if (await conn.until(allAnswered(conn), deadline)) {
    await conn.until(() => false, Date.now() + IDLE_CLOSE_WITHIN_MS);
    note(t, conn.open ? 'idle connection NOT closed by the proxy' : 'idle connection closed by the proxy');
  }
  closeBooks(t, conn, false);
};

/**
 * Leaves before a whole head: right after connecting, or after part of a
 * head, or (one in five) waits for the proxy's header timeout to answer 408
 * or close.
 */
export const abortMidHead: Behaviour = async (port, t) => {
  const deadline = Date.now() + DEADLINE_MS;
  const conn = await open(port, t, deadline);
  if (conn === null) return;
  const head = get('/soak/abort-head');
  const partial = head.slice(0, int(1, head.length - 3));
  if (chance(0.2)) {
    conn.write(partial, 1);
    await conn.until(allAnswered(conn), deadline);
    note(t, conn.answered > 0 ? 'header timeout: answered' : conn.open ? 'header timeout: nothing' : 'header timeout: closed');
    closeBooks(t, conn, false);
    return;
  }
  if (chance(0.5)) {
    conn.write(partial, 1);
    await sleep(int(0, 300));
  }
  conn.destroy(chance(0.5));
  closeBooks(t, conn, true);
};

/** Name → behaviour and its weight in the mix (sessions drawn in proportion). */
export const BEHAVIOURS: Record<string, { run: Behaviour; weight: number }> = {
  'keep-alive': { run: keepAlive, weight: 30 },
  'connection-close': { run: connectionClose, weight: 15 },
  pipelined: { run: pipelined, weight: 15 },
  'abort-mid-body': { run: abortMidBody, weight: 10 },
  'abort-mid-response': { run: abortMidResponse, weight: 10 },
  'slow-reader': { run: slowReader, weight: 5 },
  'idle-until-closed': { run: idleUntilClosed, weight: 5 },
  'abort-mid-head': { run: abortMidHead, weight: 10 },
};
