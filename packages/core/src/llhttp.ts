import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { LabError } from './errors.js';

/**
 * node's own llhttp binding, the parser node's http server and client use:
 * `require('node:_http_common').HTTPParser`. It is internal API, so this is
 * the one module that touches it, and it checks the shape it relies on when
 * first loaded: a node that renames a callback slot or changes `initialize`
 * fails there, loudly, instead of parsing subtly wrong.
 *
 * Used by the lab's speed engines (the l7-fast proxy, the origin's `engine:
 * 'fast'`). Importing this module (core's index does) loads nothing: the
 * binding is loaded and checked by the first `loadLlhttp(user)`, which each
 * engine calls when it is loaded or built, so a node whose internals changed
 * fails only the run that asks for a fast engine (proxies'
 * test/lazy-engines.test.ts), with an error naming that engine and what to
 * use instead. The outcome is kept: the check runs once per process.
 *
 * What a user may assume (checked below or by proxies' test/l7-*.test.ts and
 * origin's test/fast-*.test.ts):
 * - `initialize(type, resource, maxHeaderSize, lenientFlags)`; flags 0 is
 *   strict (kLenientNone): no lenient header, chunk, keep-alive or version.
 * - `execute(buf)` returns bytes parsed, or an Error with `code` 'HPE_*';
 *   after an error the parser stays failed.
 * - Callbacks live in numbered slots; field lines come as a flat
 *   `[name, value, ...]` array at headers-complete, or earlier through
 *   kOnHeaders when there are more than 32 (then headers-complete gets
 *   `undefined` and the caller keeps what kOnHeaders gave).
 * - headers-complete returns 0, or 1 to say "no body follows" (a response
 *   to HEAD).
 * - `consume(handle)` (what node's http server does with its sockets) puts
 *   the parser between the socket's libuv stream and JS: each read is
 *   parsed in C++ without becoming a Buffer, a stream push and a 'data'
 *   event, and ends with kOnExecute(bytes parsed | Error). EOF and read
 *   errors still reach the socket ('end', 'error'); pausing is the handle's
 *   readStop/readStart (node's onSocketPause/onSocketResume).
 */

export interface HttpParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(data: Buffer): number | ParseError;
  finish(): undefined | ParseError;
  free(): void;
  close(): void;
  remove(): void;
  consume(handle: StreamHandle): void;
  unconsume(): void;
  /** The head of the message under way is whole (true between messages too). */
  headersCompleted(): boolean;
  /** ms since the message under way began (its first byte); meaningful only while its head is not whole. */
  duration(): number;
  [slot: number]: unknown;
}

/** The libuv stream under a net.Socket (`socket._handle`), as far as this file uses it. */
interface StreamHandle {
  isStreamBase?: boolean;
  _consumed?: boolean;
  reading?: boolean;
  readStart(): number;
  readStop(): number;
}

const handleOf = (socket: Socket): StreamHandle | null => (socket as unknown as { _handle: StreamHandle | null })._handle;

export interface ParseError extends Error {
  code: string;
  bytesParsed: number;
}

export interface HttpParserClass {
  new (): HttpParser;
  readonly REQUEST: number;
  readonly RESPONSE: number;
  readonly kOnMessageBegin: number;
  readonly kOnHeaders: number;
  readonly kOnHeadersComplete: number;
  readonly kOnBody: number;
  readonly kOnMessageComplete: number;
  readonly kOnExecute: number;
  readonly kLenientNone: number;
}

/** headers-complete: (major, minor, fields|undefined, method index, url|undefined, status, reason, upgrade, keepAlive) => 0 | 1. */
export type OnHeadersComplete = (
  versionMajor: number,
  versionMinor: number,
  fields: string[] | undefined,
  method: number | undefined,
  url: string | undefined,
  statusCode: number | undefined,
  statusMessage: string | undefined,
  upgrade: boolean,
  shouldKeepAlive: boolean,
) => number;

/** Who loads the binding, for its error: `name` (l7-fast) and what to use instead on such a node (proxy kind 'l7'). */
export interface LlhttpUser {
  readonly name: string;
  readonly instead: string;
}

/** The binding as checked: the parser class and llhttp's method table. */
export interface Llhttp {
  readonly HTTPParser: HttpParserClass;
  /** Method names by llhttp's index (headers-complete gives the index). */
  readonly METHODS: readonly string[];
}

/** A binding unlike the expected one: thrown inside load and self-check, turned into the user's LabError by loadLlhttp. */
class BindingChanged extends Error {}

const fault = (what: string): BindingChanged => new BindingChanged(what);

function load(): Llhttp {
  // A missing module is a changed binding like any other (loadLlhttp words it).
  let mod: unknown;
  try {
    mod = createRequire(import.meta.url)('node:_http_common');
  } catch (err) {
    throw new BindingChanged('there is no node:_http_common', { cause: err });
  }
  const m = mod as { HTTPParser?: unknown; methods?: unknown };
  if (typeof m.HTTPParser !== 'function') throw fault('HTTPParser is not a constructor');
  const P = m.HTTPParser as unknown as Record<string, unknown> & { prototype?: Record<string, unknown> };
  const slots = ['kOnMessageBegin', 'kOnHeaders', 'kOnHeadersComplete', 'kOnBody', 'kOnMessageComplete', 'kOnExecute'];
  const numbers = [...slots, 'REQUEST', 'RESPONSE', 'kLenientNone'];
  for (const k of numbers) if (!Number.isInteger(P[k])) throw fault(`HTTPParser.${k} is not an integer`);
  if (P.kLenientNone !== 0) throw fault('kLenientNone is not 0');
  if (new Set(slots.map((k) => P[k])).size !== slots.length) throw fault('callback slots collide');
  for (const k of ['initialize', 'execute', 'finish', 'free', 'close', 'remove', 'consume', 'unconsume', 'headersCompleted', 'duration']) {
    if (typeof P.prototype?.[k] !== 'function') throw fault(`HTTPParser.prototype.${k} is missing`);
  }
  if (!Array.isArray(m.methods) || m.methods[1] !== 'GET' || m.methods.indexOf('POST') < 0) throw fault('methods table changed');
  return { HTTPParser: P as unknown as HttpParserClass, METHODS: m.methods as string[] };
}

/** The binding once loaded and checked, or why it failed; null until the first loadLlhttp. */
let outcome: { ok: Llhttp } | { failed: BindingChanged } | null = null;

/**
 * The binding, loaded and self-checked on the first call (once per process);
 * a changed binding throws a LabError naming `user` and what to use instead,
 * on this call and every later one.
 */
export function loadLlhttp(user: LlhttpUser): Llhttp {
  if (outcome === null) {
    try {
      const b = load();
      selfCheck(b);
      outcome = { ok: b };
    } catch (err) {
      if (!(err instanceof BindingChanged)) throw err;
      outcome = { failed: err };
    }
  }
  if ('ok' in outcome) return outcome.ok;
  const what = outcome.failed.message;
  throw new LabError(
    'LAB_ERR_INTERNAL',
    `${user.name}: node ${process.version} has an llhttp binding (node:_http_common HTTPParser) unlike the one it was written for: ${what}. ` +
      `Use ${user.instead} on this node.`,
    { found: process.version, expected: 'node 20 HTTPParser binding' },
    { cause: outcome.failed.cause ?? outcome.failed },
  );
}

/** A strict parser of one kind, from a loaded binding; every callback slot the caller uses must be set before execute. */
export function strictParser(binding: Llhttp, kind: 'request' | 'response', maxHeaderSize: number): HttpParser {
  const P = binding.HTTPParser;
  const p = new P();
  p.initialize(kind === 'request' ? P.REQUEST : P.RESPONSE, {}, maxHeaderSize, P.kLenientNone);
  return p;
}

/**
 * Feeds the socket's reads to the parser in C++ (see the top of this file);
 * the socket must have its handle (accepted, or connect() called). Returns
 * false, leaving the socket to 'data', when the handle cannot be consumed.
 */
export function consumeSocket(parser: HttpParser, socket: Socket): boolean {
  const h = handleOf(socket);
  if (h === null || h.isStreamBase !== true || h._consumed === true) return false;
  h._consumed = true;
  parser.consume(h);
  return true;
}

/** Undoes consumeSocket: the socket's reads go to 'data' again. */
export function releaseSocket(parser: HttpParser, socket: Socket): void {
  parser.unconsume();
  const h = handleOf(socket);
  if (h !== null) h._consumed = false;
}

/** Stops reading: a consumed socket at its handle (socket.pause() would not stop it: nothing is pushed to hold back). */
export function pauseReading(socket: Socket): void {
  const h = handleOf(socket);
  if (h?._consumed !== true) {
    socket.pause();
    return;
  }
  if (h.reading !== true) return;
  h.reading = false;
  h.readStop();
}

export function resumeReading(socket: Socket): void {
  const h = handleOf(socket);
  if (h?._consumed !== true) {
    socket.resume();
    return;
  }
  if (h.reading !== false || socket.destroyed) return;
  h.reading = true;
  h.readStart();
}

/** Self-check at first load: a strict parser must refuse what the framing tests rely on it refusing. */
function selfCheck(b: Llhttp): void {
  const { HTTPParser } = b;
  const p = strictParser(b, 'request', 1024);
  let heads = 0;
  p[HTTPParser.kOnHeadersComplete] = () => {
    heads++;
    return 0;
  };
  const r = p.execute(Buffer.from('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n', 'latin1'));
  p.free();
  if (!(r instanceof Error) || typeof (r as ParseError).code !== 'string' || !(r as ParseError).code.startsWith('HPE_') || heads !== 0) {
    throw fault('a strict parser accepted Content-Length with Transfer-Encoding, or errors lost their HPE_ code');
  }
  // The head deadline (l7-fast's client-conn.ts) reads these: a head under way, then whole.
  const q = strictParser(b, 'request', 1024);
  q[HTTPParser.kOnHeadersComplete] = () => 0;
  q.execute(Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n', 'latin1'));
  const partial = !q.headersCompleted() && q.duration() >= 0 && q.duration() < 60_000;
  q.execute(Buffer.from('\r\n', 'latin1'));
  const whole = q.headersCompleted();
  q.free();
  if (!partial || !whole) throw fault('headersCompleted()/duration() do not say whether, and since when, a head is under way');
}
