import type { IncomingMessage } from 'node:http';

/**
 * Request framing checks (RFC 9112 §6, §7) that node's parser leaves to us.
 *
 * What llhttp in strict mode (node 20, `insecureHTTPParser` off) already
 * refuses, checked byte for byte in test/l7-framing.test.ts: Content-Length
 * together with Transfer-Encoding; a Transfer-Encoding whose last coding is
 * not chunked (in one field line); `chunked, chunked`; Content-Length `+5`,
 * `-1`, `1 0`, `0x10`, `3, 3` and any duplicate Content-Length; invalid or
 * overflowing chunk sizes; bare CR, NUL or DEL in a field; whitespace before
 * the colon; obs-fold; bare LF line endings.
 *
 * Read here for both engines: a 100-continue expectation (§10.1.1), which
 * the proxy answers itself (node's server writes the 100 for l7; l7-fast
 * does the same), so the origin's own 100 is not repeated to the client
 * (hop-by-hop.ts, interimResponse).
 *
 * What it lets through, and is caught here: more than one Host, or none in
 * HTTP/1.1 (§3.2; node's own check is turned off so the answer is counted);
 * Transfer-Encoding split over field lines (`gzip` then `chunked`), or any
 * coding but chunked (we re-frame the body, so we would silently drop the
 * other coding: 501); HTTP/0.9 (505); a request of too many fields (431;
 * node's maxHeadersCount only truncates); and HTTP/1.0 with
 * Transfer-Encoding, faulty framing we may read but must close after (§6.1).
 *
 * Upgrade and CONNECT, the same for both engines: CONNECT is refused (501;
 * the proxy tunnels nothing). An Upgrade request (an Upgrade field and an
 * `upgrade` Connection option: what llhttp and node treat as one) is served
 * as a plain request, RFC 9110 §7.8 letting a server ignore Upgrade;
 * hop-by-hop.ts strips the field and the options naming it. It is then the
 * connection's last (closeAfter): what a client sends behind an Upgrade
 * request may already be the protocol it asked for (§7.8 only forbids
 * switching mid-message), and node's server drops whatever it read in the
 * same chunk behind such a request, so reading on could misparse one and
 * leave another unanswered. Closing is the reading that can do neither.
 */
export interface RequestFraming {
  /** Non-null: answer this status and close; nothing goes upstream. */
  reject: { status: number; why: string } | null;
  /** Close the client connection after answering (HTTP/1.0 with Transfer-Encoding; an Upgrade request, ignored). */
  closeAfter: boolean;
  /** The body is chunked (after validation: exactly one `chunked` coding). */
  chunked: boolean;
  /** A body follows the head. */
  hasBody: boolean;
  /** The Host to forward, null when an HTTP/1.0 client sent none. */
  host: string | null;
  /** The origin-form target to send upstream. */
  path: string;
  /** `x-lab-request-id`, read in the same pass: events carry it. */
  id: string | null;
  /**
   * `Expect` of an HTTP/1.1 request (ignored in HTTP/1.0, §10.1.1):
   * 'continue' is answered `100 Continue` by the proxy before anything goes
   * upstream; 'other' is an expectation it cannot meet (417).
   */
  expect: 'none' | 'continue' | 'other';
}

const reject = (status: number, why: string, id: string | null = null): RequestFraming => ({
  reject: { status, why },
  closeAfter: true,
  chunked: false,
  hasBody: false,
  host: null,
  path: '',
  id,
  expect: 'none',
});

/** node's own test for the expectation (its server answers with 100 on a match): a token anywhere in the value. */
const CONTINUE_EXPECTATION = /(?:^|\W)100-continue(?:$|\W)/i;

const ABSOLUTE = /^https?:\/\//i;

/** What the checks read of a request: an IncomingMessage, or the same fields from a raw parser (l7-fast). */
export type RequestHeadFacts = Pick<IncomingMessage, 'httpVersionMajor' | 'httpVersionMinor' | 'rawHeaders' | 'url' | 'method'>;

export function checkRequestFraming(req: RequestHeadFacts, maxHeaderCount: number): RequestFraming {
  if (req.httpVersionMajor !== 1) return reject(505, 'http-version');
  const raw = req.rawHeaders;
  // maxHeadersCount is set one above the limit, so an over-long list shows here.
  if (raw.length / 2 > maxHeaderCount) return reject(431, 'too-many-fields');
  let host: string | null = null;
  let hosts = 0;
  let te: string | null = null;
  let contentLength = false;
  let id: string | null = null;
  let expectation: string | null = null;
  let upgradeField = false;
  let upgradeOption = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === 4 && name.toLowerCase() === 'host') {
      hosts++;
      host = raw[i + 1] as string;
    } else if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') {
      te = te === null ? (raw[i + 1] as string) : `${te},${raw[i + 1] as string}`;
    } else if (name.length === 14 && name.toLowerCase() === 'content-length') {
      contentLength = (raw[i + 1] as string).trim() !== '0';
    } else if (name.length === 16 && name.toLowerCase() === 'x-lab-request-id') {
      id = raw[i + 1] as string;
    } else if (name.length === 7 && name.toLowerCase() === 'upgrade') {
      upgradeField = true;
    } else if (name.length === 10 && !upgradeOption && name.toLowerCase() === 'connection') {
      upgradeOption = /(?:^|,)[ \t]*upgrade[ \t]*(?:,|$)/i.test(raw[i + 1] as string);
    } else if (name.length === 6 && name.toLowerCase() === 'expect') {
      // Joined as node joins them (req.headers.expect), so both engines read the same value.
      expectation = expectation === null ? (raw[i + 1] as string) : `${expectation}, ${raw[i + 1] as string}`;
    }
  }
  // Before the target checks: CONNECT's authority-form target is valid, only not served here.
  if (req.method === 'CONNECT') return reject(501, 'connect', id);
  if (hosts > 1) return reject(400, 'duplicate-host', id);
  // node's requireHostHeader would answer this itself, unseen by our counters and events.
  if (hosts === 0 && req.httpVersionMinor === 1) return reject(400, 'missing-host', id);
  let chunked = false;
  if (te !== null) {
    const codings = te
      .split(',')
      .map((c) => c.trim().toLowerCase())
      .filter((c) => c !== '');
    if (codings.length !== 1 || codings[0] !== 'chunked') return reject(codings.at(-1) === 'chunked' ? 501 : 400, 'transfer-coding', id);
    chunked = true;
  }
  let path = req.url ?? '/';
  if (ABSOLUTE.test(path)) {
    // absolute-form (RFC 9112 §3.2.2): its authority replaces Host, the origin gets origin-form.
    let url: URL;
    try {
      url = new URL(path);
    } catch {
      return reject(400, 'request-target', id);
    }
    host = url.host;
    path = `${url.pathname}${url.search}`;
  } else if (path[0] !== '/' && !(path === '*' && req.method === 'OPTIONS')) {
    return reject(400, 'request-target', id);
  }
  return {
    reject: null,
    closeAfter: (chunked && req.httpVersionMinor === 0) || (upgradeField && upgradeOption),
    chunked,
    hasBody: chunked || contentLength,
    host,
    path,
    id,
    expect: expectation === null || req.httpVersionMinor !== 1 ? 'none' : CONTINUE_EXPECTATION.test(expectation) ? 'continue' : 'other',
  };
}

/**
 * The request is its connection's last: the parser says the client's hop
 * ends (HTTP/1.1 with `close`, HTTP/1.0 without `keep-alive`), the proxy
 * refused it, or its framing was faulty (HTTP/1.0 with Transfer-Encoding,
 * §6.1). Both engines then answer it with `Connection: close`, close after
 * that answer, and read nothing the client sent behind it: RFC 9112 §9.6, a
 * server that receives `close` MUST NOT process further requests on that
 * connection; a pipelined follower is neither forwarded nor answered, and
 * never costs the last request its answer.
 */
export function endsConnection(f: RequestFraming, parserKeepAlive: boolean): boolean {
  return !parserKeepAlive || f.reject !== null || f.closeAfter;
}
