/**
 * What the live page receives over SSE: a `snapshot` when it connects (and
 * when a new run starts), then a `delta` at most every flush interval with
 * the lanes that changed. The page script (assets/live-page.js) reads these
 * shapes; times are ms since the run started.
 */

/** How a lane ended, as a glyph: ▼ an idle timer closed it, ✕ a reset, ◆ a FIN (EOF) with no reason known, ■ another decision. */
export type CloseMark = 'idle' | 'reset' | 'eof' | 'close';

/** Requests on a lane: one request, or (past LANE_BARS bars) several merged into one busy stretch. */
export interface WireBar {
  /** The (first) request id. */
  id: string;
  from: number;
  /** null: still in flight. */
  to: number | null;
  /** Requests in this bar. */
  n: number;
  /** Of those, failed (an error, or a status ≥ 400). */
  failed: number;
  /** `200`, `502`, `EOF`...: the last request's; null while in flight. */
  st: string | null;
}

/** One TCP connection of one link (client → first hop, hop → hop, last hop → origin). */
export interface WireLane {
  i: number;
  link: number;
  /** The connecting side's port: the client's, a proxy's upstream port. */
  port: number | null;
  /** Who accepted it: a proxy's name, or `origin <name>`. */
  server: string;
  /** The accepting side's connection number, when it said. */
  conn: number | null;
  opened: number;
  closed: number | null;
  /** Who closed it (`origin a`, `naive-l4`, `client`), and why (a close reason). */
  closedBy: string | null;
  reason: string | null;
  mark: CloseMark | null;
  /** Requests carried. */
  n: number;
  bars: WireBar[];
}

export interface WireLink {
  /** `client → naive-l4`, `naive-l4 → origin`. */
  label: string;
  /** `client` for link 0, `origin` for the last (a direct run's one link is both). */
  roles: string[];
}

export interface WireRun {
  scenario: string;
  title: string;
  variant: string | null;
  /** The scenario's story, as HTML (raw HTML in it is shown as text). */
  storyHtml: string;
  links: WireLink[];
  total: number;
  /** Where the client connects, and the origins' ports, once listening. */
  url: string | null;
  originPorts: number[];
}

export interface WireCounters {
  done: number;
  ok: number;
  failed: number;
  /** Failed requests by what the client got: `EOF`, `ECONNRESET`, `502`... */
  failures: Record<string, number>;
  inFlight: number;
  /** Per link: connections open now, and opened in all. */
  open: number[];
  opened: number[];
  /** Closed connections by reason. */
  closes: Record<string, number>;
  idleCloses: number;
}

export type Phase = 'waiting' | 'running' | 'done' | 'failed';

/** The replay's controls; null for a live run. */
export interface WireReplay {
  speed: number;
  paused: boolean;
}

export interface WireSnapshot {
  type: 'snapshot';
  mode: 'live' | 'replay';
  phase: Phase;
  now: number;
  /** Run length once known (the end); null while running. */
  end: number | null;
  run: WireRun | null;
  waitingFor: string;
  verdict: string | null;
  error: string | null;
  counters: WireCounters;
  lanes: WireLane[];
  /** What happened, oldest first: `3.13s ▼ origin closed 5 idle connections`. */
  log: string[];
  replay: WireReplay | null;
}

export interface WireDelta {
  type: 'delta';
  phase: Phase;
  now: number;
  end: number | null;
  waitingFor: string;
  verdict: string | null;
  error: string | null;
  counters: WireCounters;
  /** Lanes that changed since the last delta, whole. */
  lanes: WireLane[];
  /** Lines added to the log. */
  log: string[];
  replay: WireReplay | null;
}
