/**
 * A minimal incremental HTTP/1.1 response parser for the fast engine: status
 * line, Content-Length, chunked bodies, `Connection: close`, HTTP/1.0, and
 * the `x-lab-origin-*` stamps. Enough for the lab origin, node:http, nginx
 * and HAProxy; not a general-purpose parser (no pipelining, no upgrades).
 *
 * Per response it builds one latin1 string of the header block (a few hundred
 * bytes) and compares a header name only when its length matches one it
 * needs (undici's habit); bodies are counted, never copied.
 */

const S_HEAD: number = 0;
const S_BODY_LENGTH: number = 1;
const S_BODY_EOF: number = 2; // no length: the body ends when the server closes
const S_CHUNK_SIZE: number = 3;
const S_CHUNK_DATA: number = 4;
const S_CHUNK_DATA_END: number = 5; // the CRLF after a chunk's data
const S_TRAILERS: number = 6;

const CRLFCRLF = Buffer.from('\r\n\r\n');
const MAX_HEAD = 64 * 1024;

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
  #connection: string | null = null;
  #keepAlive: string | null = null;
  /** The last `hop` handed out: the responses on a connection mostly carry the same two values, so one object serves them all. */
  #lastHop: Record<string, string> | null = null;
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
  #head: Buffer | null = null;
  readonly #noBody: boolean;

  /** `noBody`: the request was HEAD, so no response carries a body. */
  constructor(noBody = false) {
    this.#noBody = noBody;
  }

  /** `connection` and `keep-alive` as the response carried them; null when it had neither. Read it before reset(). */
  get hop(): Record<string, string> | null {
    const c = this.#connection;
    const k = this.#keepAlive;
    if (c === null && k === null) return null;
    const last = this.#lastHop;
    if (last !== null && last.connection === (c ?? undefined) && last['keep-alive'] === (k ?? undefined)) return last;
    this.#lastHop = { ...(c !== null ? { connection: c } : {}), ...(k !== null ? { 'keep-alive': k } : {}) };
    return this.#lastHop;
  }

  /** Ready for the next response on the same connection. */
  reset(): void {
    this.status = 0;
    this.close = false;
    this.bodyBytes = 0;
    this.originPort = null;
    this.origin = null;
    this.originConn = null;
    this.originNth = null;
    this.#connection = null;
    this.#keepAlive = null;
    this.#state = S_HEAD;
    this.#contentLength = -1;
    this.#chunked = false;
    this.#http10KeepAlive = false;
    this.#head = null;
  }

  /** True while a response has begun but not ended. */
  get started(): boolean {
    return this.#state !== S_HEAD || this.#head !== null;
  }

  /**
   * Feeds bytes from `start`. Returns the offset just past the end of a
   * complete response (its fields are then set), NEED_MORE, or PARSE_ERROR.
   */
  execute(buf: Buffer, start = 0): number {
    let off = start;
    const len = buf.length;
    while (off < len || this.#state === S_BODY_LENGTH) {
      switch (this.#state) {
        case S_HEAD: {
          const next = this.#readHead(buf, off);
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
          const r = this.#readChunkLine(buf, off);
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
  #readChunkLine(buf: Buffer, start: number): number {
    for (let i = start; i < buf.length; i++) {
      const c = buf[i] ?? 0;
      if (c === 13) continue; // CR: the LF decides
      if (this.#state === S_CHUNK_DATA_END) {
        if (c !== 10) return this.#fail('missing CRLF after chunk data');
        this.#startChunkSize(S_CHUNK_SIZE);
        continue;
      }
      if (this.#state === S_TRAILERS) {
        if (c !== 10) {
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
      if (c === 10) {
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
    return buf.length;
  }

  #readHead(buf: Buffer, start: number): number {
    let block: Buffer;
    let from: number;
    if (this.#head === null) {
      block = buf;
      from = start;
    } else {
      block = Buffer.concat([this.#head, buf.subarray(start)]);
      from = 0;
    }
    const end = block.indexOf(CRLFCRLF, from);
    if (end === -1) {
      if (block.length - from > MAX_HEAD) return this.#fail('response head over 64 KiB');
      // Copied: the socket's chunk is not ours to keep.
      this.#head = this.#head === null ? Buffer.from(buf.subarray(start)) : block;
      return NEED_MORE;
    }
    this.#head = null;
    if (!this.#parseHead(block.toString('latin1', from, end))) return PARSE_ERROR;
    // Offset in `buf` just past the blank line.
    return block === buf ? end + 4 : buf.length - (block.length - (end + 4));
  }

  #parseHead(head: string): boolean {
    // "HTTP/1.1 200 OK"
    if (!head.startsWith('HTTP/1.') || head.charCodeAt(8) !== 32) return this.#fail('bad status line') === 0;
    const status = digitsAt(head, 9, 12);
    if (status < 100) return this.#fail('bad status code') === 0;
    this.status = status;
    const http10 = head.charCodeAt(7) === 48; // '0'
    let i = head.indexOf('\r\n');
    while (i !== -1) {
      i += 2;
      let eol = head.indexOf('\r\n', i);
      if (eol === -1) eol = head.length;
      const colon = head.indexOf(':', i);
      if (colon > i && colon < eol) this.#header(head, i, colon, eol);
      i = eol === head.length ? -1 : eol;
    }
    if (http10 && !this.#http10KeepAlive) this.close = true;
    return true;
  }

  #header(head: string, start: number, colon: number, eol: number): void {
    const len = colon - start;
    // Only names of a length we care about are lowercased and compared.
    if (len !== 10 && len !== 12 && len !== 14 && len !== 16 && len !== 17) return;
    const name = head.slice(start, colon).toLowerCase();
    switch (name) {
      case 'content-length':
        this.#contentLength = digitsAt(head, colon + 1, eol);
        break;
      case 'connection': {
        const v = head.slice(colon + 1, eol).toLowerCase();
        if (v.includes('close')) this.close = true;
        else if (v.includes('keep-alive')) this.#http10KeepAlive = true;
        this.#connection = head.slice(colon + 1, eol).trim();
        break;
      }
      case 'keep-alive':
        this.#keepAlive = head.slice(colon + 1, eol).trim();
        break;
      case 'transfer-encoding':
        this.#chunked = head
          .slice(colon + 1, eol)
          .toLowerCase()
          .includes('chunked');
        break;
      case 'x-lab-origin-port':
        this.originPort = nullIfBad(digitsAt(head, colon + 1, eol));
        break;
      case 'x-lab-origin-conn':
        this.originConn = nullIfBad(digitsAt(head, colon + 1, eol));
        break;
      case 'x-lab-origin-nth':
        this.originNth = nullIfBad(digitsAt(head, colon + 1, eol));
        break;
      case 'x-lab-origin':
        this.origin = head.slice(colon + 1, eol).trim();
        break;
    }
  }

  #fail(why: string): number {
    this.error = why;
    return PARSE_ERROR;
  }
}

/** Decimal digits in [from, to), spaces around allowed; -1 when there are none or others. */
function digitsAt(s: string, from: number, to: number): number {
  let n = 0;
  let digits = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits > 0 && s.charCodeAt(i - 1) === 32) return -1; // "1 2"
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
