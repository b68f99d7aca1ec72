import type { Fault } from './fault.js';

/**
 * A stale pooled socket (nodejs/node#47130): the client reuses a connection
 * the server has given up on and sees it close with not a byte of answer.
 * The origin destroys the socket the moment a second request arrives on it.
 */
export const dropOnReuse: Fault = {
  name: 'dropOnReuse',
  stage: 'arrival',
  fires: (_conn, nth) => nth >= 2,
  apply(conn) {
    conn.reason ??= 'fault';
    conn.socket.destroy();
  },
};
