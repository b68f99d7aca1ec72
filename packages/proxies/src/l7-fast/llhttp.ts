import { createRequire } from 'node:module';
import { LabError } from '@keepalive-lab/core';

/**
 * node's own llhttp binding, the parser node's http server and client use:
 * `require('node:_http_common').HTTPParser`. It is internal API, so this is
 * the one module that touches it, and it checks the shape it relies on at
 * load: a node that renames a callback slot or changes `initialize` fails
 * here, loudly, instead of parsing subtly wrong.
 *
 * What the rest of l7-fast may assume (checked below or by test/l7-*.test.ts):
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
 */

export interface HttpParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(data: Buffer): number | ParseError;
  finish(): undefined | ParseError;
  free(): void;
  close(): void;
  remove(): void;
  [slot: number]: unknown;
}

export interface ParseError extends Error {
  code: string;
  bytesParsed: number;
}

interface HttpParserClass {
  new (): HttpParser;
  readonly REQUEST: number;
  readonly RESPONSE: number;
  readonly kOnMessageBegin: number;
  readonly kOnHeaders: number;
  readonly kOnHeadersComplete: number;
  readonly kOnBody: number;
  readonly kOnMessageComplete: number;
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

const fault = (what: string): LabError =>
  new LabError(
    'LAB_ERR_INTERNAL',
    `l7-fast: node ${process.version} has an llhttp binding (node:_http_common HTTPParser) unlike the one this proxy was written for: ${what}. ` +
      "Use proxy kind 'l7' on this node.",
    { found: process.version, expected: 'node 20 HTTPParser binding' },
  );

function load(): { HTTPParser: HttpParserClass; methods: readonly string[] } {
  let mod: unknown;
  try {
    mod = createRequire(import.meta.url)('node:_http_common');
  } catch (err) {
    throw new LabError(
      'LAB_ERR_INTERNAL',
      `l7-fast: node ${process.version} has no node:_http_common`,
      { found: process.version },
      { cause: err },
    );
  }
  const m = mod as { HTTPParser?: unknown; methods?: unknown };
  if (typeof m.HTTPParser !== 'function') throw fault('HTTPParser is not a constructor');
  const P = m.HTTPParser as unknown as Record<string, unknown> & { prototype?: Record<string, unknown> };
  const slots = ['kOnMessageBegin', 'kOnHeaders', 'kOnHeadersComplete', 'kOnBody', 'kOnMessageComplete'];
  const numbers = [...slots, 'REQUEST', 'RESPONSE', 'kLenientNone'];
  for (const k of numbers) if (!Number.isInteger(P[k])) throw fault(`HTTPParser.${k} is not an integer`);
  if (P.kLenientNone !== 0) throw fault('kLenientNone is not 0');
  if (new Set(slots.map((k) => P[k])).size !== slots.length) throw fault('callback slots collide');
  for (const k of ['initialize', 'execute', 'finish', 'free', 'close', 'remove']) {
    if (typeof P.prototype?.[k] !== 'function') throw fault(`HTTPParser.prototype.${k} is missing`);
  }
  if (!Array.isArray(m.methods) || m.methods[1] !== 'GET' || m.methods.indexOf('POST') < 0) throw fault('methods table changed');
  return { HTTPParser: P as unknown as HttpParserClass, methods: m.methods as string[] };
}

const loaded = load();
export const HTTPParser = loaded.HTTPParser;
/** Method names by llhttp's index (headers-complete gives the index). */
export const METHODS = loaded.methods;

/** A strict parser of one kind; every callback slot the caller uses must be set before execute. */
export function strictParser(kind: 'request' | 'response', maxHeaderSize: number): HttpParser {
  const p = new HTTPParser();
  p.initialize(kind === 'request' ? HTTPParser.REQUEST : HTTPParser.RESPONSE, {}, maxHeaderSize, HTTPParser.kLenientNone);
  return p;
}

/** Self-check at load: a strict parser must refuse what the framing tests rely on it refusing. */
function selfCheck(): void {
  const p = strictParser('request', 1024);
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
}
selfCheck();
