import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Closers } from './real-proxy-fixture.js';

/** A client agent, destroyed by the closers. A keep-alive one holds a single socket, so sequential requests share it. */
export function agent(closers: Closers, keepAlive: boolean): http.Agent {
  const a = new http.Agent({ keepAlive, ...(keepAlive ? { maxSockets: 1 } : {}) });
  closers.push(async () => a.destroy());
  return a;
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * One request (no agent unless `options` names one); rejects when no response
 * comes. `body` as several writes goes out chunked; one string goes with end(),
 * so with a Content-Length.
 */
export function request(port: number, options: http.RequestOptions, body?: string | string[]): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/', agent: false, ...options }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    if (Array.isArray(body)) {
      for (const part of body) req.write(part);
      req.end();
    } else req.end(body);
  });
}

/** A request with any method (a POST carries one byte); the status, or the client-side error code when no response came. */
export function send(
  port: number,
  a: http.Agent,
  method: string,
): Promise<{ status: number | string; body: string; headers: http.IncomingHttpHeaders }> {
  return request(port, { method, agent: a }, method === 'POST' ? 'x' : undefined).catch((err: NodeJS.ErrnoException) => ({
    status: err.code ?? err.message,
    body: '',
    headers: {},
  }));
}

/** ms from a keep-alive response to the proxy closing that client connection; null if still open after `cap` ms. */
export async function idleCloseMs(port: number, cap: number): Promise<number | null> {
  const s = net.connect({ host: '127.0.0.1', port });
  s.on('error', () => undefined /* a reset also ends the wait */);
  await once(s, 'connect');
  s.write('GET / HTTP/1.1\r\nHost: lab\r\n\r\n');
  await once(s, 'data');
  s.resume();
  const t = performance.now();
  const ac = new AbortController();
  const closed = once(s, 'close').then(() => performance.now() - t);
  const r = await Promise.race([closed, sleep(cap, null, { signal: ac.signal }).catch(() => null)]);
  ac.abort();
  s.destroy();
  return r;
}

/**
 * One request on a raw client connection, then idle: whether the proxy closed
 * it within `ms`, what it sent, and `afterMs` from the request to the close
 * (or to giving up).
 */
export async function idleClient(closers: Closers, port: number, ms: number): Promise<{ closed: boolean; reply: string; afterMs: number }> {
  const s = net.connect({ host: '127.0.0.1', port });
  closers.push(async () => void s.destroy());
  let reply = '';
  s.setEncoding('utf8').on('data', (d: string) => (reply += d));
  const gone = once(s, 'close').then(() => true);
  s.write('GET / HTTP/1.1\r\nHost: lab\r\n\r\n');
  const t0 = Date.now();
  const closed = await Promise.race([gone, new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
  return { closed, reply, afterMs: Date.now() - t0 };
}
