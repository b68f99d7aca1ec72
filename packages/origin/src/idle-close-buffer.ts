import type { IncomingMessage, ServerResponse } from 'node:http';

/** lib/_http_server.js HTTP_SERVER_KEEP_ALIVE_TIMEOUT_BUFFER: node closes this long after what it advertises. */
export const NODE_IDLE_CLOSE_BUFFER_MS = 1000;

/**
 * When an idle connection closes, in every engine and protocol (node's here,
 * fast/serve.ts's sweep, h2c.ts's timer): keepAliveTimeout + idleCloseBuffer
 * after it fell idle; null with keepAliveTimeout 0, which never closes an
 * idle connection (node's meaning).
 */
export function idleCloseAfter(keepAliveTimeout: number, buffer: number): number | null {
  return keepAliveTimeout === 0 ? null : keepAliveTimeout + buffer;
}

/**
 * The `idleCloseBuffer` knob: an idle keep-alive socket closes at
 * keepAliveTimeout + idleCloseBuffer instead of node's keepAliveTimeout + 1000,
 * while `Keep-Alive: timeout=N` still advertises keepAliveTimeout. 0 closes at
 * the advertised timeout itself, as Go, Apache and most servers do: the
 * client's pooled socket and the server's close then race.
 *
 * Node keeps doing everything but pick the delay. When a keep-alive response
 * finishes with nothing queued behind it, node's own 'finish' listener
 * (resOnFinish, added before the 'request' event) arms the idle timer with
 * `socket.setTimeout(keepAliveTimeout + 1000)`. The listener returned here,
 * added to each response from the server's 'request' event, so always after
 * node's, runs right after it and re-arms that timer with the lab's delay.
 * Node's own bookkeeping stays: the next request clears the timer
 * (resetSocketTimeout), the 'timeout' destroys the socket (socketOnTimeout)
 * or opens the closing window, and connection.ts names it 'idle-timeout'.
 * `socket.timeout` tells whether node just armed its idle timer: it holds
 * the last setTimeout value, so anything else (a `Connection: close`
 * response, a pipelined request queued behind) is left as node left it.
 *
 * Why not set server.keepAliveTimeout to keepAliveTimeout + buffer - 1000?
 * Below a second it would be 0 or negative (no idle close at all), and it
 * would change the hint, which is the point of the knob to keep.
 *
 * Null when there is nothing to change: the default buffer is node's own (the
 * origin adds no listener at all, so node's behaviour is untouched byte for
 * byte), and keepAliveTimeout 0 has no idle timer to move.
 */
export function idleCloseBuffer(keepAliveTimeout: number, buffer: number): ((req: IncomingMessage, res: ServerResponse) => void) | null {
  const after = idleCloseAfter(keepAliveTimeout, buffer);
  if (after === null || buffer === NODE_IDLE_CLOSE_BUFFER_MS) return null;
  const wanted = after;
  const armedByNode = keepAliveTimeout + NODE_IDLE_CLOSE_BUFFER_MS;
  // One function per origin, not a closure per request: the socket is found on the response.
  function rearm(this: ServerResponse): void {
    // node's resOnFinish has just run (and detached res.socket); the request keeps its socket.
    const socket = this.req.socket;
    if (socket.timeout === armedByNode) socket.setTimeout(wanted);
  }
  return (_req, res) => {
    res.on('finish', rearm);
  };
}
