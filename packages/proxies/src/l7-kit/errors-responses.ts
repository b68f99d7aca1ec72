import type { Socket } from 'node:net';

/**
 * What the proxy answers itself. Short text bodies, so a user with curl sees
 * who answered and why; built once, never per request.
 */
const ANSWERS = {
  400: ['Bad Request', 'the proxy refused a malformed request'],
  408: ['Request Timeout', 'the request head did not arrive in time'],
  431: ['Request Header Fields Too Large', 'the request head is too large'],
  501: ['Not Implemented', 'the proxy implements neither CONNECT nor a transfer coding other than chunked'],
  502: ['Bad Gateway', 'the proxy got no valid response from the origin'],
  504: ['Gateway Timeout', 'the origin did not answer in time'],
  505: ['HTTP Version Not Supported', 'the proxy speaks HTTP/1.0 and HTTP/1.1'],
} as const;

export type ProxyStatus = keyof typeof ANSWERS;

const BODIES = new Map<number, string>(
  Object.entries(ANSWERS).map(([status, [text, why]]) => [Number(status), `${status} ${text}: ${why} (keepalive-lab l7)\n`]),
);

/** Raw responses for errors the parser found, written straight to the socket before closing it. */
const RAW = new Map<number, Buffer>(
  Object.entries(ANSWERS).map(([status, [text]]) => {
    const body = BODIES.get(Number(status)) as string;
    const head = `HTTP/1.1 ${status} ${text}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`;
    return [Number(status), Buffer.from(head + body, 'latin1')];
  }),
);

/** Reason phrase and body of an answer: l7-fast writes its own heads with them, l7 hands them to node (send-error.ts). */
export function errorAnswer(status: ProxyStatus): { text: string; body: string } {
  return { text: ANSWERS[status][0], body: BODIES.get(status) as string };
}

export function rawErrorResponse(status: ProxyStatus): Buffer {
  return RAW.get(status) as Buffer;
}

/**
 * Client errors that say the client's stream is over, not that its bytes were
 * bad: HPE_INVALID_EOF_STATE is the parser told of the client's FIN in the
 * middle of a request (node's server calls parser.finish() on 'end'),
 * ECONNRESET and EPIPE are its reset.
 */
const CLIENT_GONE_CODES: ReadonlySet<string> = new Set(['HPE_INVALID_EOF_STATE', 'ECONNRESET', 'EPIPE']);

/**
 * Whether a client error is answered (400, 408, 431...) before the
 * connection closes: only while the client is still there to read it. A
 * client that ended or reset its stream mid-request, or a socket that can
 * no longer be written, gets nothing: the engine destroys the connection
 * without a word, records no reject, and its close is the client's
 * (peer-closed, peer-reset). An incomplete request is the client's own
 * cancel (RFC 9112 §8: a server MAY answer it; this one does not), and
 * node's default handler likewise writes nothing to a reset or unwritable
 * socket. Both engines ask here, so they agree.
 */
export function clientHearsAnswer(socket: Socket, code: string): boolean {
  return !CLIENT_GONE_CODES.has(code) && socket.writable;
}
