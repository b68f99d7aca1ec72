import { LAB_HEADERS } from '@keepalive-lab/core';

/**
 * A minimal incremental HTTP/1.1 response parser for the fast engine: status
 * line, Content-Length, chunked bodies, `Connection: close`, HTTP/1.0, and
 * the `x-lab-origin-*` stamps. Enough for the lab origin, node:http, nginx
 * and HAProxy; not a general-purpose parser (no pipelining, no upgrades).
 *
 * The head is read byte by byte where it lies, with no string per response:
 * a header name is compared only when its length matches one it needs
 * (undici's habit), numbers are read from the digits, and a text value
 * (Connection, Keep-Alive, x-lab-origin) becomes a string only when it
 * differs from the one the previous response carried. Bodies are counted,
 * never copied. `execute` reads `buf` up to `end` only, so the caller may
 * read every socket into one reused buffer.
 */

const S_HEAD: number = 0;
const S_BODY_LENGTH: number = 1;
const S_BODY_EOF: number = 2; // no length: the body ends when the server closes
const S_CHUNK_SIZE: number = 3;
const S_CHUNK_DATA: number = 4;
const S_CHUNK_DATA_END: number = 5; // the CRLF after a chunk's data
const S_TRAILERS: number = 6;

const MAX_HEAD = 64 * 1024;
const CR = 13;
const LF = 10;

/** Lower-case names and tokens as bytes, compared case-insensitively against the wire. */
const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const CLOSE = ascii('close');
const KEEP_ALIVE = ascii('keep-alive');
const CHUNKED = ascii('chunked');

/** The headers the parser reads. */
const H = {
  ContentLength: 0,
  Connection: 1,
  KeepAlive: 2,
  TransferEncoding: 3,
  Origin: 4,
  OriginPort: 5,
  OriginConn: 6,
  OriginNth: 7,
} as const;
type H = (typeof H)[keyof typeof H];
/** By name length: a header line is compared only when its name has the length of one of these. */
const WANTED: { name: Uint8Array; h: H }[][] = [];
for (const [name, h] of [
  ['content-length', H.ContentLength],
  ['connection', H.Connection],
  ['keep-alive', H.KeepAlive],
  ['transfer-encoding', H.TransferEncoding],
  [LAB_HEADERS.origin, H.Origin],
  [LAB_HEADERS.originPort, H.OriginPort],
  [LAB_HEADERS.originConn, H.OriginConn],
  [LAB_HEADERS.originNth, H.OriginNth],
] as const) {
  WANTED[name.length] ??= [];
  WANTED[name.length]?.push({ name: ascii(name), h });
}

/** `execute` results besides an offset. */
export const NEED_MORE = -1;
export const PARSE_ERROR = -2;

export class ResponseParser {
  status = 0;
  /** The server will close after this response (or the body runs to EOF). */
  close = false;
  /** Body bytes of the current response. */
  bodyBytes = 0;
  originPort: number | null = null;
  origin: string | null = null;
  originConn: number | null = null;
  originNth: number | null = null;
  /** `Connection` and `Keep-Alive` as the response carried them (trimmed), or null. */
  connection: string | null = null;
  keepAlive: string | null = null;
  /** The previous response's text values: an equal value is handed out again instead of a new string. */
  #lastConnection = '';
  #lastKeepAlive = '';
  #lastOrigin = '';
  /** Why the last execute returned PARSE_ERROR. */
  error = '';

  #state: number = S_HEAD;
  #remaining = 0;
  #contentLength = -1;
  #chunked = false;
  #http10KeepAlive = false;
  #sawDigit = false;
  #inExtension = false;
  #lineLen = 0;
  /** A head cut across reads: its bytes so far (a copy: the caller's buffer is reused). */
  #head: Buffer | null = null;
  readonly #noBody: boolean;

  /** `noBody`: the request was HEAD, so no response carries a body. */
  constructor(noBody = false) {
    this.#noBody = noBody;
  }

  /** Ready for the next response on the same connection. */
  reset(): void {
    this.#clearHead();
    this.bodyBytes = 0;
    this.#state = S_HEAD;
    this.#head = null;
  }

  /** What the head sets, cleared: before a response, and before a cut head is read again from its start. */
  #clearHead(): void {
    this.status = 0;
    this.close = false;
    this.originPort = null;
    this.origin = null;
    this.originConn = null;
    this.originNth = null;
    this.connection = null;
    this.keepAlive = null;
    this.#contentLength = -1;
    this.#chunked = false;
    this.#http10KeepAlive = false;
  }

  /** True while a response has begun but not ended. */
  get started(): boolean {
    return this.#state !== S_HEAD || this.#head !== null;
  }

  /**
   * Feeds the bytes of `buf` in [start, end). Returns the offset just past the end of a
   * complete response (its fields are then set), NEED_MORE, or PARSE_ERROR.
   */
  execute(buf: Buffer, start = 0, end = buf.length): number {
    let off = start;
    const len = end;
    while (off < len || this.#state === S_BODY_LENGTH) {
      switch (this.#state) {
        case S_HEAD: {
          const next = this.#readHead(buf, off, len);
          if (next < 0) return next;
          off = next;
          if (this.status < 200) {
            this.reset(); // 1xx: an interim response, the real one follows
            continue;
          }
          if (this.#noBody || this.status === 204 || this.status === 304) return off;
          if (this.#chunked) this.#startChunkSize(S_CHUNK_SIZE);
          else if (this.#contentLength >= 0) {
            this.#state = S_BODY_LENGTH;
            this.#remaining = this.#contentLength;
          } else {
            this.#state = S_BODY_EOF;
            this.close = true;
          }
          break;
        }
        case S_BODY_LENGTH: {
          const n = Math.min(this.#remaining, len - off);
          this.bodyBytes += n;
          this.#remaining -= n;
          off += n;
          if (this.#remaining === 0) return off;
          return NEED_MORE;
        }
        case S_BODY_EOF:
          this.bodyBytes += len - off;
          return NEED_MORE;
        case S_CHUNK_SIZE:
        case S_CHUNK_DATA_END:
        case S_TRAILERS: {
          const r = this.#readChunkLine(buf, off, len);
          if (r === PARSE_ERROR) return r;
          off = r;
          if (this.#state === S_HEAD) return off; // the last chunk's trailers ended
          break;
        }
        case S_CHUNK_DATA: {
          const n = Math.min(this.#remaining, len - off);
          this.bodyBytes += n;
          this.#remaining -= n;
          off += n;
          if (this.#remaining === 0) this.#state = S_CHUNK_DATA_END;
          break;
        }
      }
    }
    return NEED_MORE;
  }

  /** The server closed: completes a body delimited by EOF, otherwise the response was cut. */
  finishOnEof(): boolean {
    return this.#state === S_BODY_EOF;
  }

  #startChunkSize(state: number): void {
    this.#state = state;
    this.#remaining = 0;
    this.#sawDigit = false;
    this.#inExtension = false;
    this.#lineLen = 0;
  }

  /** Chunk-size lines, the CRLF after data, and trailer lines: byte by byte, they are short. */
  #readChunkLine(buf: Buffer, start: number, len: number): number {
    for (let i = start; i < len; i++) {
      const c = buf[i] ?? 0;
      if (c === CR) continue; // the LF decides
      if (this.#state === S_CHUNK_DATA_END) {
        if (c !== LF) return this.#fail('missing CRLF after chunk data');
        this.#startChunkSize(S_CHUNK_SIZE);
        continue;
      }
      if (this.#state === S_TRAILERS) {
        if (c !== LF) {
          this.#lineLen++;
          continue;
        }
        if (this.#lineLen === 0) {
          this.#state = S_HEAD; // empty line: the message is complete
          return i + 1;
        }
        this.#lineLen = 0;
        continue;
      }
      // S_CHUNK_SIZE
      if (c === LF) {
        if (!this.#sawDigit) return this.#fail('empty chunk size');
        if (this.#remaining === 0) this.#startChunkSize(S_TRAILERS);
        else this.#state = S_CHUNK_DATA;
        return i + 1;
      }
      if (this.#inExtension) continue;
      const v = hexValue(c);
      if (v >= 0) {
        this.#remaining = this.#remaining * 16 + v;
        this.#sawDigit = true;
      } else if (c === 59)
        this.#inExtension = true; // ';' chunk extension, ignored
      else if (c !== 32 && c !== 9) return this.#fail('bad chunk size');
    }
    return len;
  }

  /** The head from `start`: the offset in `buf` just past its blank line, NEED_MORE (the rest is kept), or PARSE_ERROR. */
  #readHead(buf: Buffer, start: number, len: number): number {
    const kept = this.#head;
    if (kept === null) {
      const r = this.#parseHead(buf, start, len);
      // Cut: copied, since the socket's buffer is not ours to keep.
      if (r === NEED_MORE) return this.#keep(Buffer.from(buf.subarray(start, len)));
      return r;
    }
    const block = Buffer.concat([kept, buf.subarray(start, len)]);
    const r = this.#parseHead(block, 0, block.length);
    if (r === NEED_MORE) return this.#keep(block);
    if (r === PARSE_ERROR) return r;
    this.#head = null;
    // Offset in `buf` just past the blank line.
    return len - (block.length - r);
  }

  #keep(head: Buffer): number {
    if (head.length > MAX_HEAD) return this.#fail('response head over 64 KiB');
    this.#head = head;
    this.#clearHead(); // read again from its start when the rest comes
    return NEED_MORE;
  }

  /** Status line and header lines in [start, len): just past the blank line, NEED_MORE when it has not come, or PARSE_ERROR. */
  #parseHead(b: Buffer, start: number, len: number): number {
    // "HTTP/1.1 200 OK": the line must have come whole before it is judged.
    let eol = lineEnd(b, start, len);
    if (eol === len) return NEED_MORE;
    if (!startsHttp1(b, start) || b[start + 8] !== 32) return this.#fail('bad status line');
    const status = digitsAt(b, start + 9, Math.min(start + 12, eol));
    if (status < 100) return this.#fail('bad status code');
    this.status = status;
    const http10 = b[start + 7] === 48; // '0'
    for (;;) {
      const from = eol + 1;
      eol = lineEnd(b, from, len);
      if (eol === len) return NEED_MORE;
      const to = eol > from && b[eol - 1] === CR ? eol - 1 : eol;
      if (to === from) break; // the blank line
      let colon = from;
      while (colon < to && b[colon] !== 58) colon++; // ':'
      if (colon > from && colon < to) this.#header(b, from, colon, to);
    }
    if (http10 && !this.#http10KeepAlive) this.close = true;
    return eol + 1;
  }

  #header(b: Buffer, start: number, colon: number, end: number): void {
    const candidates = WANTED[colon - start];
    if (candidates === undefined) return;
    for (const { name, h } of candidates) {
      if (nameIs(b, start, name)) {
        this.#value(h, b, colon + 1, end);
        return;
      }
    }
  }

  #value(h: H, b: Buffer, v: number, end: number): void {
    switch (h) {
      case H.ContentLength:
        this.#contentLength = digitsAt(b, v, end);
        break;
      case H.Connection:
        if (includesToken(b, v, end, CLOSE)) this.close = true;
        else if (includesToken(b, v, end, KEEP_ALIVE)) this.#http10KeepAlive = true;
        this.connection = this.#lastConnection = textOf(b, v, end, this.#lastConnection);
        break;
      case H.KeepAlive:
        this.keepAlive = this.#lastKeepAlive = textOf(b, v, end, this.#lastKeepAlive);
        break;
      case H.TransferEncoding:
        this.#chunked = includesToken(b, v, end, CHUNKED);
        break;
      case H.Origin:
        this.origin = this.#lastOrigin = textOf(b, v, end, this.#lastOrigin);
        break;
      case H.OriginPort:
        this.originPort = nullIfBad(digitsAt(b, v, end));
        break;
      case H.OriginConn:
        this.originConn = nullIfBad(digitsAt(b, v, end));
        break;
      case H.OriginNth:
        this.originNth = nullIfBad(digitsAt(b, v, end));
        break;
    }
  }

  #fail(why: string): number {
    this.error = why;
    return PARSE_ERROR;
  }
}

/** Index of the next LF in [from, len), or len. */
function lineEnd(b: Buffer, from: number, len: number): number {
  for (let i = from; i < len; i++) if (b[i] === LF) return i;
  return len;
}

function startsHttp1(b: Buffer, i: number): boolean {
  // "HTTP/1."
  return b[i] === 72 && b[i + 1] === 84 && b[i + 2] === 84 && b[i + 3] === 80 && b[i + 4] === 47 && b[i + 5] === 49 && b[i + 6] === 46;
}

/** The bytes at `at` spell `name` (lower-case), letters in any case. */
function nameIs(b: Buffer, at: number, name: Uint8Array): boolean {
  for (let k = 0; k < name.length; k++) {
    const c = b[at + k] ?? 0;
    const n = name[k] ?? 0;
    // `| 0x20` lower-cases a letter; only letters (from 0x61) may match that way.
    if (c !== n && (n < 0x61 || (c | 0x20) !== n)) return false;
  }
  return true;
}

/** `token` (lower-case) occurs in [from, to), in any case. */
function includesToken(b: Buffer, from: number, to: number, token: Uint8Array): boolean {
  for (let i = from; i + token.length <= to; i++) if (nameIs(b, i, token)) return true;
  return false;
}

/** The value in [from, to), spaces and tabs around it trimmed: `last` itself when it says the same. */
function textOf(b: Buffer, from: number, to: number, last: string): string {
  while (from < to && (b[from] === 32 || b[from] === 9)) from++;
  while (to > from && (b[to - 1] === 32 || b[to - 1] === 9)) to--;
  if (to - from === last.length) {
    let k = 0;
    while (k < last.length && last.charCodeAt(k) === b[from + k]) k++;
    if (k === last.length) return last;
  }
  return b.toString('latin1', from, to);
}

/** Decimal digits in [from, to), spaces around allowed; -1 when there are none or others. */
function digitsAt(b: Buffer, from: number, to: number): number {
  let n = 0;
  let digits = 0;
  for (let i = from; i < to; i++) {
    const c = b[i] ?? 0;
    if (c >= 48 && c <= 57) {
      if (digits > 0 && b[i - 1] === 32) return -1; // "1 2"
      n = n * 10 + (c - 48);
      digits++;
    } else if (c !== 32 && c !== 9) return -1;
  }
  return digits === 0 ? -1 : n;
}

const nullIfBad = (n: number): number | null => (n < 0 ? null : n);

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}
