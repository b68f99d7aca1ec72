import { describe, expect, it } from 'vitest';
import { NEED_MORE, PARSE_ERROR, ResponseParser } from '../src/index.js';

const lab = 'x-lab-origin-port: 51234\r\nX-Lab-Origin: a\r\nx-lab-origin-conn: 7\r\nx-lab-origin-nth: 3\r\n';

/** Feeds `bytes` cut at `cut` (two chunks) and returns what execute said last. */
function feedSplit(p: ResponseParser, bytes: Buffer, cut: number): number {
  const a = p.execute(bytes.subarray(0, cut));
  if (a !== NEED_MORE) return a;
  return p.execute(bytes.subarray(cut));
}

describe('ResponseParser', () => {
  const cases: [string, string, number, boolean][] = [
    ['content-length', `HTTP/1.1 200 OK\r\n${lab}Content-Length: 5\r\n\r\nhello`, 5, false],
    [
      'chunked with extension and trailer',
      `HTTP/1.1 200 OK\r\n${lab}Transfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\nA\r\n0123456789\r\n0\r\nx-trailer: 1\r\n\r\n`,
      13,
      false,
    ],
    ['Connection: close', `HTTP/1.1 503 Service Unavailable\r\n${lab}connection: close\r\ncontent-length: 0\r\n\r\n`, 0, true],
    ['204 without a body', `HTTP/1.1 204 No Content\r\n${lab}\r\n`, 0, false],
    ['100 Continue, then the response', `HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n${lab}content-length: 2\r\n\r\nok`, 2, false],
  ];
  for (const [name, text, body, close] of cases) {
    it(`parses ${name} whole and cut at every byte`, () => {
      const bytes = Buffer.from(text, 'latin1');
      for (let cut = 1; cut <= bytes.length; cut++) {
        const p = new ResponseParser();
        expect(feedSplit(p, bytes, cut), `cut at ${cut}`).toBe(bytes.length - (cut === bytes.length ? 0 : cut));
        expect(p.bodyBytes).toBe(body);
        expect(p.close).toBe(close);
        expect([p.originPort, p.origin, p.originConn, p.originNth]).toEqual([51234, 'a', 7, 3]);
      }
    });
  }

  it('reads a body without length until the server closes (HTTP/1.0)', () => {
    const p = new ResponseParser();
    expect(p.execute(Buffer.from('HTTP/1.0 200 OK\r\n\r\nsome bytes'))).toBe(NEED_MORE);
    expect(p.close).toBe(true);
    expect(p.finishOnEof()).toBe(true);
    expect(p.bodyBytes).toBe(10);
    expect([p.originPort, p.origin]).toEqual([null, null]);
  });

  it('a cut content-length body is not complete at EOF', () => {
    const p = new ResponseParser();
    expect(p.execute(Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc'))).toBe(NEED_MORE);
    expect(p.finishOnEof()).toBe(false);
  });

  it('a HEAD response has no body whatever its Content-Length', () => {
    const p = new ResponseParser(true);
    const bytes = Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n');
    expect(p.execute(bytes)).toBe(bytes.length);
  });

  it('refuses what is not an HTTP/1 response', () => {
    expect(new ResponseParser().execute(Buffer.from('SSH-2.0-OpenSSH\r\n\r\n'))).toBe(PARSE_ERROR);
    expect(new ResponseParser().execute(Buffer.from('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n'))).toBe(PARSE_ERROR);
  });
});

/** The fast engine reads every socket into one reused buffer: what lies past `end` is an older read's, never this response's. */
describe('ResponseParser over a reused buffer', () => {
  const stale = (live: string, old: string): Buffer => Buffer.from(live + old, 'latin1');

  it('a body cut at `end` is not complete, whatever bytes lie beyond it', () => {
    const live = 'HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhel';
    const p = new ResponseParser();
    expect(p.execute(stale(live, 'lo-from-before'), 0, live.length)).toBe(NEED_MORE);
    expect(p.bodyBytes).toBe(3);
    expect(p.execute(Buffer.from('lo'))).toBe(2);
    expect(p.bodyBytes).toBe(5);
  });

  it('a head cut at `end` waits for the rest, though a blank line follows in the stale bytes', () => {
    const live = 'HTTP/1.1 200 OK\r\nX-LAB-ORIGIN-PORT: 1';
    const p = new ResponseParser();
    expect(p.execute(stale(live, '\r\ncontent-length: 0\r\n\r\n'), 0, live.length)).toBe(NEED_MORE);
    const rest = Buffer.from('2\r\nConnection: Keep-Alive\r\nKeep-Alive: timeout=5\r\ncontent-length: 2\r\n\r\nok');
    expect(p.execute(rest)).toBe(rest.length);
    expect([p.status, p.originPort, p.connection, p.keepAlive, p.bodyBytes]).toEqual([200, 12, 'Keep-Alive', 'timeout=5', 2]);
  });
});
