import type { Socket } from 'node:net';
import { isRecording, type OriginContext } from '../context.js';
import type { Fault } from './fault.js';

/**
 * The `closeWindow` knob: the idle-close race, made a rule. In the wild a
 * pooled request that crosses the server's FIN fails, one a moment earlier
 * is answered: luck. Here, when the keep-alive idle timer fires, the origin
 * does not close at once: the connection enters a closing window of
 * `closeWindow` ms. The client sees nothing of it (no FIN, the socket looks
 * as alive as before), so a request sent inside the window always fails and
 * one sent before it never does:
 *
 *   response ── keepAliveTimeout + idleCloseBuffer ── window opens
 *            ── closeWindow ms ── socket destroyed (conn-close idle-timeout)
 *   a request arriving in the window: request + fault events, then the
 *   socket is destroyed at once, without a byte of answer
 *
 * How: node destroys a timed-out socket itself unless the server has a
 * 'timeout' listener (socketOnTimeout), so with a window the origin adds one
 * and closes the socket itself, later. The server's own timeout
 * (server.timeout) is 0, so the keep-alive idle timer is the only one that
 * ever reaches it. With closeWindow 0 no listener is added: node closes as
 * it always did.
 *
 * "Without a byte" on the wire: node's parser has already read the request
 * off the socket, so destroy() sends a FIN, not a RST: the client reads EOF
 * with no response (node: 'socket hang up', ECONNRESET), as when it reads the
 * server's FIN right after writing; a peer that keeps writing then gets a RST.
 * The same as dropOnReuse.
 *
 * Events: a `fault` event `closeWindow-open` (id null) when the window opens,
 * so a test or a reader of the timeline knows from when a request dies; for
 * each request dropped, its `request` event and a `fault` event `closeWindow`
 * with its id (the handler records both, as for any arrival fault). The
 * connection's conn-close says 'idle-timeout' either way: the idle timer
 * decided the close, the dropped request only met it (as in a real race).
 * A peer that closes, or origin.close(), during the window is named as usual.
 */

/** The `fault` name recorded when a connection's closing window opens. */
export const CLOSE_WINDOW_OPEN = 'closeWindow-open';

/** The arrival side: a request on a connection in its window is dropped. First in the fault plan. */
export const closeWindow: Fault = {
  name: 'closeWindow',
  stage: 'arrival',
  fires: (conn) => conn.inCloseWindow,
  apply(conn) {
    conn.reason ??= 'idle-timeout';
    conn.socket.destroy();
  },
};

/** The timer side: the server's 'timeout' listener that opens the window; null when closeWindow is 0. */
export function closeWindowOnIdle(ctx: OriginContext): ((socket: Socket) => void) | null {
  const ms = ctx.options.closeWindow;
  if (ms === 0) return null;
  const { recorder } = ctx;
  return (socket) => {
    const conn = ctx.connections.get(socket);
    if (conn === undefined || !conn.idle) {
      // Not an idle keep-alive socket (cannot happen with server.timeout 0): what node would do.
      socket.destroy();
      return;
    }
    // The socket's timer can fire again while the window is open (activity refreshes it).
    if (conn.inCloseWindow) return;
    conn.inCloseWindow = true;
    if (isRecording(recorder)) {
      recorder.record({
        event: 'fault',
        source: 'origin',
        t: recorder.now(),
        origin: ctx.options.name,
        conn: conn.id,
        id: null,
        fault: CLOSE_WINDOW_OPEN,
      });
    }
    const end = setTimeout(() => {
      conn.reason ??= 'idle-timeout';
      socket.destroy();
    }, ms);
    socket.once('close', () => clearTimeout(end));
  };
}
