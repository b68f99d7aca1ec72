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
