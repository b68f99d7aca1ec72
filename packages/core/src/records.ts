/**
 * What the client knows about one request, filled in as it happens. The
 * origin's stamps (`x-lab-origin-*` response headers) let a client alone see
 * origin ports even through a proxy it does not control (nginx, HAProxy).
 */
export interface ClientRecord {
  /** `x-lab-request-id`: unique within a run. */
  id: string;
  /** ms since the run started. */
  start: number;
  end: number | null;
  status: number | null;
  /** Socket error code (`ECONNRESET`) or `TIMEOUT`; null on a response. */
  error: string | null;
  clientPort: number | null;
  /** True when the request went out on a socket that had carried one before. */
  reused: boolean | null;
  /** From `x-lab-origin-port`: the remote port the origin saw. */
  originPort: number | null;
  /** From `x-lab-origin`: which origin answered. */
  origin: string | null;
  /** From `x-lab-origin-conn` and `x-lab-origin-nth`. */
  originConn: number | null;
  nthOnConn: number | null;
  /**
   * `Connection` and `Keep-Alive` as the response reached the client (lower-case
   * names): why its Agent kept or dropped the socket. Null when the response
   * had neither or never came; absent in results made before it was recorded.
   */
  responseHop?: Record<string, string> | null;
}

/**
 * The joined record per request: the heart of every table. Names are the
 * result-file contract of docs/reference.md, and joinRecords writes them in its
 * order (id · start · end · status · error · clientPort · reused ·
 * upstreamPort · originPort · origin · originConn · nthOnConn); a field a
 * topology cannot know is `null`, never guessed.
 */
export interface RequestRecord extends ClientRecord {
  /** The proxy's local port towards the origin, when a proxy in the run said so. */
  upstreamPort: number | null;
  /** A real peer's access-log lines about this request (`id=<x-lab-request-id> ...`), when it logs them. */
  proxyLog?: string[];
  /** With a chain of proxies: each hop's ports, client side first (`upstreamPort` above is the first hop's). */
  hops?: HopRecord[];
}

/** One proxy of a chain as one request crossed it: the port its client side saw, the port it used upstream. */
export interface HopRecord {
  kind: string;
  clientPort: number | null;
  upstreamPort: number | null;
}

/** Response headers the origin stamps so reuse is visible from outside. */
export const LAB_HEADERS = {
  requestId: 'x-lab-request-id',
  originPort: 'x-lab-origin-port',
  origin: 'x-lab-origin',
  originConn: 'x-lab-origin-conn',
  originNth: 'x-lab-origin-nth',
  /** Named in the client's `Connection` (client.hopHeader): a proxy must strip it; the origin records if it arrived. */
  hop: 'x-lab-hop',
} as const;
