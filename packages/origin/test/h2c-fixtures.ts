import { connect, constants, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import { once } from 'node:events';
import { test as base } from 'vitest';
import { Recorder } from '@keepalive-lab/core';
import { createOrigin, type Origin, type OriginOptions } from '../src/index.js';

export interface H2Started {
  origin: Origin;
  recorder: Recorder;
  port: number;
}

export interface H2Lab {
  /** An h2c origin on 127.0.0.1:0 with its own recorder; closed after the test. */
  start(options?: OriginOptions): Promise<H2Started>;
  /** A connected node:http2 client session (prior knowledge), destroyed after the test. */
  session(port: number): Promise<ClientHttp2Session>;
}

/** Everything a test opens is closed after `use`, even when the test fails. */
export const test = base.extend<{ h2: H2Lab }>({
  h2: async ({}, use) => {
    const origins: Origin[] = [];
    const sessions: ClientHttp2Session[] = [];
    await use({
      async start(options = {}) {
        const recorder = new Recorder();
        const origin = createOrigin({ protocol: 'h2c', ...options, recorder });
        origins.push(origin);
        const { port } = await origin.listen();
        return { origin, recorder, port };
      },
      async session(port) {
        const s = connect(`http://127.0.0.1:${port}`);
        sessions.push(s);
        // A session the origin closes may still report an error the test does not care about.
        s.on('error', () => {});
        await once(s, 'connect');
        return s;
      },
    });
    for (const s of sessions) s.destroy();
    await Promise.all(origins.map((o) => o.close()));
  },
});

export interface H2Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One request on a session; resolves the whole answer. */
export function h2request(session: ClientHttp2Session, options: { id?: string; method?: string; body?: Buffer } = {}): Promise<H2Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {
      [constants.HTTP2_HEADER_PATH]: '/',
      [constants.HTTP2_HEADER_METHOD]: options.method ?? 'GET',
    };
    if (options.id !== undefined) headers['x-lab-request-id'] = options.id;
    const req = session.request(headers, { endStream: options.body === undefined });
    let head: IncomingHttpHeaders = {};
    let body = '';
    req.setEncoding('utf8');
    req.on('response', (h) => (head = h));
    req.on('data', (c: string) => (body += c));
    req.on('end', () => resolve({ status: Number(head[':status']), headers: head, body }));
    req.on('error', reject);
    if (options.body !== undefined) req.end(options.body);
  });
}
