import type { Fault } from './fault.js';

/**
 * An origin that dies mid-answer: the head (with the full Content-Length) and
 * half the body go out, then a TCP RST. The client must not take the partial
 * body for a response: it sees ECONNRESET, or an aborted response.
 */
export const resetMidResponse: Fault = {
  name: 'resetMidResponse',
  stage: 'answer',
  fires: () => true,
  apply(conn, res, nth, body) {
    conn.reason ??= 'fault';
    const half = body.slice(0, Math.floor(body.length / 2));
    res.writeHead(200, conn.headersFor(nth));
    const reset = () => conn.socket.resetAndDestroy();
    if (half.length > 0) {
      // Reset once the half body reached the kernel, so the client gets it before the RST.
      res.write(half, reset);
    } else {
      // Nothing to halve: send the head alone (an empty write would not flush it).
      res.flushHeaders();
      reset();
    }
  },
};
