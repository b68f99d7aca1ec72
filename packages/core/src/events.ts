/**
 * What each component tells the recorder. Every event is a small fixed-shape
 * object: `t` is ms since the run started, `event` names what happened,
 * `source` says who saw it. Ports are read when a connection opens (Node
 * forgets `remotePort` after destroy); an unknown one is `null`.
 *
 * Keep shapes flat and add fields rather than rename them: result files store
 * these events as they are.
 */

/**
 * Why a connection ended, as far as the side that saw it can tell. Decided in
 * one place for every component: `closeReason` (close-reason.ts). A reason
 * this side decided wins; else a reset (even after a FIN) is `peer-reset`;
 * else a FIN is `peer-closed`; else another error is `error`.
 */
export type CloseReason =
  | 'idle-timeout' // this side's keep-alive idle timer fired
  | 'max-requests' // per-connection request cap reached
  | 'peer-closed' // the other side sent FIN, and no reset followed
  | 'peer-reset' // the other side reset (ECONNRESET/EPIPE), even after its FIN
  | 'server-close' // the server is shutting down
  | 'fault' // a fault knob made this side close it
  | 'connection-close' // this side ended it after a `Connection: close` response (keep-alive off, or the client asked)
  | 'upstream-closed' // proxy: the paired upstream connection ended
  | 'client-closed' // proxy: the paired client connection ended
  | 'pool-idle-timeout' // proxy: pooled socket idle too long
  | 'keep-alive-hint' // proxy: expired before the origin's Keep-Alive timeout
  | 'pool-full' // proxy (L7): idle beyond maxIdleSockets for 100 ms, least recently used first (0: at once)
  | 'upstream-timeout' // proxy (L7): the origin stayed silent past the upstream timeout (504)
  | 'error' // a socket error other than a reset (ECONNREFUSED, ETIMEDOUT...)
  | 'unknown'; // nothing seen explains it

export interface OriginConnOpenEvent {
  event: 'conn-open';
  source: 'origin';
  t: number;
  origin: string;
  conn: number;
  remotePort: number | null;
}

export interface OriginConnCloseEvent {
  event: 'conn-close';
  source: 'origin';
  t: number;
  origin: string;
  conn: number;
  remotePort: number | null;
  /** Requests answered on this connection. */
  requests: number;
  reason: CloseReason;
}

export interface OriginRequestEvent {
  event: 'request';
  source: 'origin';
  t: number;
  origin: string;
  /** `x-lab-request-id`, or null when the client did not send one. */
  id: string | null;
  conn: number;
  remotePort: number | null;
  /** 1 for the first request on the connection. */
  nth: number;
  method: string;
  /** Body bytes the origin read for this request. */
  bytes: number;
  /**
   * The hop-by-hop headers as the origin received them (connection,
   * keep-alive, te, upgrade, proxy-connection, x-lab-hop), lower-case names;
   * null when none came. Absent in results made before it was recorded.
   */
  hop?: Record<string, string> | null;
}

export interface OriginFaultEvent {
  event: 'fault';
  source: 'origin';
  t: number;
  origin: string;
  conn: number;
  id: string | null;
  /** Which knob fired, e.g. `dropOnReuse`. */
  fault: string;
}

export interface ProxyClientOpenEvent {
  event: 'client-open';
  source: 'proxy';
  t: number;
  proxy: string;
  clientConn: number;
  clientPort: number | null;
}

export interface ProxyClientCloseEvent {
  event: 'client-close';
  source: 'proxy';
  t: number;
  proxy: string;
  clientConn: number;
  clientPort: number | null;
  reason: CloseReason;
}

export interface ProxyUpstreamOpenEvent {
  event: 'upstream-open';
  source: 'proxy';
  t: number;
  proxy: string;
  upstreamConn: number;
  /** The proxy's local port: what the origin sees as remote port. */
  localPort: number | null;
  target: string;
  /** The client connection it was opened for; null for a pooled (L7) socket. */
  clientConn: number | null;
}

export interface ProxyUpstreamCloseEvent {
  event: 'upstream-close';
  source: 'proxy';
  t: number;
  proxy: string;
  upstreamConn: number;
  localPort: number | null;
  target: string;
  reason: CloseReason;
}

/** L7 only: which upstream connection carried a request. */
export interface ProxyForwardEvent {
  event: 'forward';
  source: 'proxy';
  t: number;
  proxy: string;
  id: string | null;
  clientConn: number;
  upstreamConn: number;
  localPort: number | null;
  target: string;
  reused: boolean;
  /** 1 for the first attempt, 2 for the retry on a fresh socket. */
  attempt: number;
}

/** L7 only: a request the proxy answered itself (400, 408, 502, 504...). */
export interface ProxyRejectEvent {
  event: 'reject';
  source: 'proxy';
  t: number;
  proxy: string;
  id: string | null;
  clientConn: number;
  status: number;
  why: string;
}

export type OriginEvent = OriginConnOpenEvent | OriginConnCloseEvent | OriginRequestEvent | OriginFaultEvent;
export type ProxyEvent =
  | ProxyClientOpenEvent
  | ProxyClientCloseEvent
  | ProxyUpstreamOpenEvent
  | ProxyUpstreamCloseEvent
  | ProxyForwardEvent
  | ProxyRejectEvent;
export type LabEvent = OriginEvent | ProxyEvent;
