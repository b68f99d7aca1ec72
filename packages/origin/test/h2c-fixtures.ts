import { connect, constants, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import { once } from 'node:events';
import type { OriginOptions } from '../src/index.js';
import { test as labTest, type Started } from './fixtures.js';

export type H2Started = Started;

export interface H2Lab {
  /** An h2c origin on 127.0.0.1:0 with its own recorder; closed after the test (fixtures.ts's lab.start). */
  start(options?: OriginOptions): Promise<H2Started>;
  /** A connected node:http2 client session (prior knowledge), destroyed after the test. */
  session(port: number): Promise<ClientHttp2Session>;
}

/** Everything a test opens is closed after `use`, even when the test fails: sessions here, then origins by `lab`. */
export const test = labTest.extend<{ h2: H2Lab }>({
  h2: async ({ lab }, use) => {
    const sessions: ClientHttp2Session[] = [];
    await use({
      start: (options = {}) => lab.start({ protocol: 'h2c', ...options }),
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
