import type { ServerResponse } from 'node:http';
import { errorAnswer, type ProxyStatus } from '../l7-kit/errors-responses.js';

/**
 * Answers through node's response (keeps pipelined order). `close` makes it
 * the last response on the connection: framing we did not trust, or a
 * request body we stopped reading.
 */
export function sendError(res: ServerResponse, status: ProxyStatus, close: boolean): void {
  const { text, body } = errorAnswer(status);
  if (close) res.shouldKeepAlive = false;
  res.writeHead(status, text, ['Content-Type', 'text/plain', 'Content-Length', String(Buffer.byteLength(body))]);
  res.end(body);
}
