import http from 'node:http';
import net from 'node:net';
import { test as base } from 'vitest';
import { LAB_HEADERS } from '@keepalive-lab/core';

/**
 * A small node:http origin for the client's tests, standing in for
 * packages/origin: it stamps each response with the remote port it saw, its
 * connection id and the request's nth on that connection, as the lab origin
 * does, and counts connections and request body bytes.
 */
export interface TestOrigin {
  url: string;
  port: number;
  /** Remote ports of accepted connections, in accept order. */
  connectionPorts: number[];
  /** Request body bytes received, all requests together. */
  bodyBytes: number;
  requests: number;
  /** Each request as it arrived, in arrival order. */
  received: ReceivedRequest[];
  /** Connections still open on the server side. */
  readonly openConnections: number;
}

/** What one request brought to the origin. */
export interface ReceivedRequest {
  /** Its x-lab-request-id. */
  id: string | undefined;
  method: string;
  /** Header lines as they arrived, names in the sender's spelling: [name, value, name, value, ...]. */
  rawHeaders: string[];
  body: Buffer;
  /** performance.now() when its head arrived (same process, same clock as a Recorder's origin). */
  at: number;
}

export interface TestOriginOptions {
  /** How to answer; default: 200 with `ok\n` and a Content-Length. */
  respond?: (req: http.IncomingMessage, res: http.ServerResponse, nth: number) => void;
}

export const okResponse = (_req: http.IncomingMessage, res: http.ServerResponse): void => {
  res.setHeader('content-length', 3);
  res.end('ok\n');
};

async function startTestOrigin(options: TestOriginOptions, closers: (() => Promise<void>)[]): Promise<TestOrigin> {
  const respond = options.respond ?? okResponse;
  const open = new Set<net.Socket>();
  const connOf = new WeakMap<net.Socket, { id: number; nth: number; port: number }>();
  let nextConn = 0;
  const server = http.createServer((req, res) => {
    const conn = connOf.get(req.socket);
    if (conn === undefined) throw new Error('request on an untracked socket');
    conn.nth++;
    origin.requests++;
    const chunks: Buffer[] = [];
    const id = req.headers[LAB_HEADERS.requestId];
    const seen: ReceivedRequest = {
      id: typeof id === 'string' ? id : undefined,
      method: req.method ?? '',
      rawHeaders: req.rawHeaders,
      body: Buffer.alloc(0),
      at: performance.now(),
    };
    origin.received.push(seen);
    res.setHeader(LAB_HEADERS.originPort, conn.port);
    res.setHeader(LAB_HEADERS.origin, 'test');
    res.setHeader(LAB_HEADERS.originConn, conn.id);
    res.setHeader(LAB_HEADERS.originNth, conn.nth);
    req.on('data', (c: Buffer) => {
      origin.bodyBytes += c.length;
      chunks.push(c);
    });
    req.on('end', () => {
      seen.body = Buffer.concat(chunks);
      respond(req, res, conn.nth);
    });
  });
  server.on('connection', (s: net.Socket) => {
    const port = s.remotePort ?? -1; // read now: node forgets it after close
    connOf.set(s, { id: ++nextConn, nth: 0, port });
    origin.connectionPorts.push(port);
    open.add(s);
    s.once('close', () => open.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('not a TCP address');
  const origin: TestOrigin = {
    url: `http://127.0.0.1:${address.port}/`,
    port: address.port,
    connectionPorts: [],
    bodyBytes: 0,
    requests: 0,
    received: [],
    get openConnections() {
      return open.size;
    },
  };
  closers.push(async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  });
  return origin;
}

/** A free port with nothing listening: connecting to it is refused. */
export async function refusedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const address = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('not a TCP address');
  return address.port;
}

/** A raw `net` server writing exact bytes, for the parser's edge cases (undici's habit). */
async function startRawServer(onSocket: (s: net.Socket) => void, closers: (() => Promise<void>)[]): Promise<string> {
  const open = new Set<net.Socket>();
  const server = net.createServer((s) => {
    open.add(s);
    s.once('close', () => open.delete(s));
    onSocket(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('not a TCP address');
  closers.push(async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of open) s.destroy();
    await closed;
  });
  return `http://127.0.0.1:${address.port}/`;
}

/** Fixtures: every server a test starts is closed after it, whatever the outcome. */
export const test = base.extend<{
  startOrigin: (o?: TestOriginOptions) => Promise<TestOrigin>;
  startRaw: (onSocket: (s: net.Socket) => void) => Promise<string>;
}>({
  // vitest reads fixture dependencies from the first parameter's destructuring, hence `{}`.
  startOrigin: async ({}, use) => {
    const closers: (() => Promise<void>)[] = [];
    await use((o = {}) => startTestOrigin(o, closers));
    await Promise.all(closers.map((c) => c()));
  },
  startRaw: async ({}, use) => {
    const closers: (() => Promise<void>)[] = [];
    await use((onSocket) => startRawServer(onSocket, closers));
    await Promise.all(closers.map((c) => c()));
  },
});
