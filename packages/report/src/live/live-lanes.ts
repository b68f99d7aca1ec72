import type { CloseReason } from '@keepalive-lab/core';
import type { CloseMark, WireBar, WireLane } from './live-wire.js';

/** Bars kept per lane: past this, neighbours closer than a growing gap merge into one busy stretch (10,000 requests stay smooth). */
export const LANE_BARS = 64;

type Side = 'client' | 'server';

/** What one side of a connection said when it closed it, or saw it closed. */
interface SideClose {
  t: number;
  reason: string;
  who: string;
}

/** Reasons that say the other side ended it: the close is that side's, and its own reason (if it tells one) wins. */
const PEER_REASONS: ReadonlySet<string> = new Set<CloseReason>(['peer-closed', 'peer-reset', 'error', 'unknown']);
/** Drawn ▼: a keep-alive idle timer ended it (the origin's, or a proxy pool's). */
const IDLE_REASONS: ReadonlySet<string> = new Set<CloseReason>(['idle-timeout', 'pool-idle-timeout', 'keep-alive-hint']);

const markOf = (reason: string): CloseMark =>
  IDLE_REASONS.has(reason) ? 'idle' : reason === 'peer-reset' ? 'reset' : reason === 'peer-closed' ? 'eof' : 'close';

/**
 * One TCP connection, told by either side or both: the accepting side (a
 * proxy's client-open, the origin's conn-open) and the connecting side (a
 * proxy's upstream-open, the client's record). Both name the connecting
 * side's port, which is how their two reports meet in one lane.
 */
export class Lane {
  server: string;
  conn: number | null = null;
  opened: number;
  n = 0;
  /** The connection an L4 proxy opened this one for: requests on it crossed that one too. */
  parent: Lane | null = null;
  readonly closes: { client?: SideClose; server?: SideClose } = {};
  readonly bars: WireBar[] = [];
  /** Requests in flight on this connection, by id: when each was first seen on it. */
  readonly inFlight = new Map<string, number>();
  /** Bars closer than this (ms) merge; grows when a lane holds more than LANE_BARS. */
  #gap = 0;

  constructor(
    readonly i: number,
    readonly link: number,
    readonly port: number | null,
    /** The connecting side's name: `client`, or the proxy before this link. */
    readonly clientName: string,
    server: string,
    opened: number,
  ) {
    this.server = server;
    this.opened = opened;
  }

  get closed(): number | null {
    const { client, server } = this.closes;
    if (!client && !server) return null;
    return Math.min(client?.t ?? Infinity, server?.t ?? Infinity);
  }

  /**
   * Who closed it and why, from what each side said: a reason one side
   * decided (an idle timer, a request cap) wins; else a reset or a FIN
   * names the other side as the closer.
   */
  verdict(): { by: string; reason: string; mark: CloseMark } | null {
    const sides = [this.closes.server, this.closes.client].filter((c): c is SideClose => c !== undefined);
    if (sides.length === 0) return null;
    const own = sides.filter((c) => !PEER_REASONS.has(c.reason)).sort((a, b) => a.t - b.t)[0];
    if (own) return { by: own.who, reason: own.reason, mark: markOf(own.reason) };
    const seen = sides.find((c) => c.reason === 'peer-reset') ?? sides.find((c) => c.reason === 'peer-closed') ?? (sides[0] as SideClose);
    const other = seen === this.closes.server ? this.clientName : this.server;
    const by = seen.reason === 'peer-reset' || seen.reason === 'peer-closed' ? other : seen.who;
    return { by, reason: seen.reason, mark: markOf(seen.reason) };
  }

  /** A request ended on this lane: a bar of its own, or (close enough to the last) part of the last. */
  addBar(id: string, from: number, to: number, failed: boolean, st: string): void {
    const last = this.bars[this.bars.length - 1];
    if (last && last.to !== null && from - last.to <= this.#gap) {
      // Merged in place: no object for a request that joins a busy stretch.
      last.to = Math.max(last.to, to);
      last.n++;
      if (failed) last.failed++;
      last.st = st;
      return;
    }
    this.bars.push({ id, from, to, n: 1, failed: failed ? 1 : 0, st });
    while (this.bars.length > LANE_BARS) {
      this.#gap = Math.max(1, this.#gap * 2);
      compact(this.bars, this.#gap);
    }
  }

  toWire(): WireLane {
    const v = this.verdict();
    const open: WireBar[] = [];
    for (const [id, from] of this.inFlight) open.push({ id, from, to: null, n: 1, failed: 0, st: null });
    return {
      i: this.i,
      link: this.link,
      port: this.port,
      server: this.server,
      conn: this.conn,
      opened: this.opened,
      closed: this.closed,
      closedBy: v?.by ?? null,
      reason: v?.reason ?? null,
      mark: v?.mark ?? null,
      n: this.n,
      bars: open.length === 0 ? this.bars.slice() : [...this.bars, ...open],
    };
  }
}

function mergeInto(a: WireBar, b: WireBar): void {
  a.from = Math.min(a.from, b.from);
  a.to = Math.max(a.to ?? b.from, b.to ?? b.from);
  a.n += b.n;
  a.failed += b.failed;
  a.st = b.st;
}

/** Merges neighbours closer than `gap`, in place. */
function compact(bars: WireBar[], gap: number): void {
  let w = 0;
  for (let r = 1; r < bars.length; r++) {
    const cur = bars[w] as WireBar;
    const next = bars[r] as WireBar;
    if (next.from - (cur.to ?? next.from) <= gap) mergeInto(cur, next);
    else bars[++w] = next;
  }
  bars.length = w + 1;
}

/** Who names a lane: an origin's connection, a proxy's client or upstream connection, or (for the client, from its records) a port. */
export type LaneKind = 'origin' | 'client' | 'upstream' | 'port';

/**
 * Every connection of a run, one list per run. Lanes are found by what the
 * reporting side calls them (kind, origin or proxy name, its connection
 * number), and joined by port while only one side has spoken. Per request
 * this does a few map operations and no string building: it runs for every
 * event of a 10,000-request run, inside the run's process.
 */
export class Lanes {
  readonly all: Lane[] = [];
  readonly dirty = new Set<Lane>();
  /** Per kind: name (origin, proxy; '' for client ports) → number (connection, port) → lane. */
  readonly #byKey: Record<LaneKind, Map<string, Map<number, Lane>>> = {
    origin: new Map(),
    client: new Map(),
    upstream: new Map(),
    port: new Map(),
  };
  /** `link/side/port` → a lane only that side has told of yet. */
  readonly #half = new Map<string, Lane>();
  /** `link/port` → the latest lane with that port. */
  readonly #latest = new Map<string, Lane>();
  /** In-flight request id → the lane it is on, or the lanes (behind a proxy, usually two). */
  readonly #requests = new Map<string, Lane | Lane[]>();

  constructor(
    /** The connecting side's name per link: `client`, then each proxy. */
    readonly clientNames: string[],
  ) {}

  get inFlight(): number {
    return this.#requests.size;
  }

  get(kind: LaneKind, name: string, n: number): Lane | undefined {
    return this.#byKey[kind].get(name)?.get(n);
  }

  latest(link: number, port: number): Lane | undefined {
    return this.#latest.get(`${link}/${port}`);
  }

  /** One side tells of a connection: the lane it joins, or a new one. */
  open(kind: LaneKind, name: string, n: number, link: number, side: Side, port: number | null, t: number, server: string): Lane {
    const known = this.get(kind, name, n);
    if (known) return known;
    const other: Side = side === 'server' ? 'client' : 'server';
    let lane = port === null ? undefined : this.#half.get(`${link}/${other}/${port}`);
    if (lane) this.#half.delete(`${link}/${other}/${port}`);
    else {
      lane = new Lane(this.all.length, link, port, this.clientNames[link] ?? 'client', server, t);
      this.all.push(lane);
      if (port !== null) {
        this.#half.set(`${link}/${side}/${port}`, lane);
        this.#latest.set(`${link}/${port}`, lane);
      }
    }
    if (side === 'server') {
      lane.server = server;
      lane.conn = kind === 'port' ? null : n;
    }
    lane.opened = Math.min(lane.opened, t);
    const names = this.#byKey[kind];
    let lanes = names.get(name);
    if (!lanes) names.set(name, (lanes = new Map()));
    lanes.set(n, lane);
    this.dirty.add(lane);
    return lane;
  }

  close(kind: LaneKind, name: string, n: number, side: Side, reason: string, t: number, who: string): void {
    const lane = this.get(kind, name, n);
    if (!lane || lane.closes[side]) return;
    lane.closes[side] = { t, reason, who };
    this.dirty.add(lane);
  }

  /** The request is on this lane from `t` (and on the lanes this one was opened for). */
  place(lane: Lane, id: string, t: number): void {
    const on = this.#requests.get(id);
    if (on === lane || (Array.isArray(on) && on.includes(lane))) return;
    if (on === undefined) this.#requests.set(id, lane);
    else if (Array.isArray(on)) on.push(lane);
    else this.#requests.set(id, [on, lane]);
    lane.inFlight.set(id, t);
    lane.n++;
    this.dirty.add(lane);
    if (lane.parent) this.place(lane.parent, id, t);
  }

  /** What an L4 proxy says: `lane` was opened for `parent`; what is already on it crossed `parent` too. */
  setParent(lane: Lane, parent: Lane): void {
    lane.parent = parent;
    for (const [id, from] of lane.inFlight) this.place(parent, id, from);
  }

  /** Is the request on a lane of link `a` and on one of link `b`? (one lookup: this runs for every answer) */
  isOnBoth(id: string, a: number, b: number): boolean {
    const on = this.#requests.get(id);
    if (on === undefined) return false;
    if (!Array.isArray(on)) return on.link === a && on.link === b;
    let seenA = false;
    let seenB = false;
    for (const l of on) {
      seenA ||= l.link === a;
      seenB ||= l.link === b;
    }
    return seenA && seenB;
  }

  /** Is the request on a lane of this link? */
  isOn(id: string, link: number): boolean {
    return this.isOnBoth(id, link, link);
  }

  /** The request ended at `t`: its bars stop (a bar never outlives its connection). */
  end(id: string, t: number, st: string, failed: boolean): void {
    const on = this.#requests.get(id);
    if (on === undefined) return;
    this.#requests.delete(id);
    if (!Array.isArray(on)) this.#endOn(on, id, t, st, failed);
    else for (const lane of on) this.#endOn(lane, id, t, st, failed);
  }

  #endOn(lane: Lane, id: string, t: number, st: string, failed: boolean): void {
    const from = lane.inFlight.get(id) ?? t;
    lane.inFlight.delete(id);
    const closed = lane.closed;
    lane.addBar(id, from, Math.max(from, closed === null ? t : Math.min(t, closed)), failed, st);
    this.dirty.add(lane);
  }
}
