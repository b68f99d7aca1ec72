import { FAILURE_KINDS, failureKind } from '@keepalive-lab/scenarios';
import type { RequestRecord } from '@keepalive-lab/core';
import type { ResultView } from '../model/views.js';
import { completionWaves } from '../model/waves.js';

/**
 * What the page's charts draw for one view, in flat arrays (one entry per
 * request) so 10,000 requests stay a few hundred kB of JSON.
 */
export interface ChartData {
  /** Waterfall row labels: one per client connection, or lanes when there are too many. */
  rows: string[];
  /** How rows were formed, when not one per connection; shown under the chart. */
  aggregated: string | null;
  /** Connections (client ports) in the result: the waterfall's rows unless aggregated. */
  connections: number;
  s: number[];
  /** When the request had its connection: after the previous one on it ended (before that it queued in the client's pool). */
  q: number[];
  e: number[];
  /** Row index of each request. */
  r: number[];
  /** Origin connection ordinal (colour); -1 unknown. */
  k: number[];
  cp: (number | null)[];
  op: (number | null)[];
  /** What the client got, in words: `200`, `502`, `ECONNRESET after a 200 head`, `ECONNREFUSED`. */
  st: string[];
  /** Failure kind of each request: an index into FAILURE_KINDS; -1 for an answer below 400. */
  f: number[];
  /** Requests that waited in the client's pool (q > s): the grey spans. */
  queued: number;
  /** Completion waves: [first end, requests], split at gaps longer than `batchGap`. */
  waves: [number, number][];
  batchGap: number;
  /** Whether the waterfall draws a line per wave: several waves, and few enough to tell apart. */
  waveLines: boolean;
  /** Origin idle closes: [t, row] (row -1 when no request ran on that connection). */
  idle: [number, number][];
  /** Client port ordinal → origin port ordinal, with the request count (ports in order of first use). */
  pairs: [number, number, number][];
  clientPorts: number[];
  originPorts: number[];
  tEnd: number;
}

/** Past this many connections the waterfall packs them into lanes (rows reused once a connection is done). */
export const MAX_WATERFALL_ROWS = 150;

/** Past this many completion waves, lines would hide the bars: the waves line below the chart says them. */
export const MAX_WAVE_LINES = 60;

const r1 = (n: number) => Math.round(n * 10) / 10;

export function chartData(v: ResultView): ChartData {
  const reqs = [...v.requests].sort((a, b) => a.start - b.start);
  // Keyed by client port (-1 unknown): number keys keep 100,000 requests fast.
  const conns = new Map<number, { first: number; last: number }>();
  for (const r of reqs) {
    const key = r.clientPort ?? -1;
    const end = r.end ?? r.start;
    const c = conns.get(key);
    if (c) c.last = Math.max(c.last, end);
    else conns.set(key, { first: r.start, last: end });
  }
  const rowOf = new Map<number, number>();
  let rows: string[];
  let aggregated: string | null = null;
  if (conns.size <= MAX_WATERFALL_ROWS) {
    rows = [...conns.keys()].map((k) => `client ${k === -1 ? '?' : k}`);
    [...conns.keys()].forEach((k, i) => {
      rowOf.set(k, i);
    });
  } else {
    // Greedy interval packing: a lane takes the next connection that opens after its last one ended.
    const laneEnds: number[] = [];
    for (const [k, c] of conns) {
      let lane = laneEnds.findIndex((end) => end <= c.first);
      if (lane === -1) {
        lane = laneEnds.length < MAX_WATERFALL_ROWS ? laneEnds.length : laneEnds.indexOf(Math.min(...laneEnds));
        if (lane === laneEnds.length) laneEnds.push(c.last);
      }
      laneEnds[lane] = Math.max(laneEnds[lane] ?? 0, c.last);
      rowOf.set(k, lane);
    }
    rows = laneEnds.map((_, i) => `lane ${i + 1}`);
    aggregated = `${conns.size} client connections packed into ${rows.length} lanes (a lane takes the next connection once its last one ended)`;
  }
  const originConn = new Map<string, Map<number, number>>();
  let originConns = 0;
  const rowOfOriginConn = new Map<string, Map<number, number>>();
  const pairs = new Map<number, [number, number, number]>();
  const d: ChartData = {
    rows,
    aggregated,
    connections: conns.size,
    s: [],
    q: [],
    e: [],
    r: [],
    k: [],
    cp: [],
    op: [],
    st: [],
    f: [],
    queued: 0,
    waves: completionWaves(v.requests, v.batchGap).map((w) => [r1(w.t), w.n]),
    batchGap: v.batchGap,
    waveLines: false,
    idle: [],
    pairs: [],
    clientPorts: [],
    originPorts: [],
    tEnd: 0,
  };
  const lastEnd = new Map<number, number>();
  const cpIdx = new Map<number, number>();
  const opIdx = new Map<number, number>();
  for (const r of reqs) {
    const connKey = r.clientPort ?? -1;
    const row = rowOf.get(connKey) ?? 0;
    let k = -1;
    if (r.originConn !== null) {
      const name = r.origin ?? 'origin';
      const ids = originConn.get(name) ?? new Map<number, number>();
      originConn.set(name, ids);
      k = ids.get(r.originConn) ?? originConns++;
      ids.set(r.originConn, k);
      const rowsOf = rowOfOriginConn.get(name) ?? new Map<number, number>();
      rowOfOriginConn.set(name, rowsOf);
      rowsOf.set(r.originConn, row);
    }
    // Requests without a port (refused) had no connection to wait for: they never queue behind each other.
    const onConn = r.clientPort === null ? r.start : Math.max(r.start, lastEnd.get(connKey) ?? r.start);
    lastEnd.set(connKey, Math.max(onConn, r.end ?? onConn));
    if (r1(onConn) > r1(r.start)) d.queued++;
    d.s.push(r1(r.start));
    d.q.push(r1(onConn));
    d.e.push(r1(r.end ?? r.start));
    d.r.push(row);
    d.k.push(k);
    d.cp.push(r.clientPort);
    d.op.push(r.originPort);
    d.st.push(outcome(r));
    const fk = failureKind(r) ?? (r.status === null ? 'other' : null);
    d.f.push(fk === null ? -1 : FAILURE_KINDS.indexOf(fk));
    d.tEnd = Math.max(d.tEnd, r.end ?? r.start);
    if (r.clientPort !== null && r.originPort !== null) {
      const pk = r.clientPort * 65536 + r.originPort;
      const pair = pairs.get(pk);
      if (pair) pair[2]++;
      else pairs.set(pk, [ordinal(cpIdx, d.clientPorts, r.clientPort), ordinal(opIdx, d.originPorts, r.originPort), 1]);
    }
  }
  for (const ev of v.events) {
    if (ev.event !== 'conn-close' || ev.reason !== 'idle-timeout') continue;
    d.idle.push([r1(ev.t), rowOfOriginConn.get(ev.origin)?.get(ev.conn) ?? -1]);
    d.tEnd = Math.max(d.tEnd, ev.t);
  }
  d.waveLines = d.waves.length > 1 && d.waves.length <= MAX_WAVE_LINES;
  d.pairs = [...pairs.values()];
  d.tEnd = r1(d.tEnd);
  return d;
}

/** What the client got, in words. */
function outcome(r: RequestRecord): string {
  if (r.error === null) return r.status === null ? 'no answer' : String(r.status);
  return r.status === null ? r.error : `${r.error} after a ${r.status} head`;
}

/** The index of `port` in order of first use, adding it to `list` when new. */
function ordinal(index: Map<number, number>, list: number[], port: number): number {
  let i = index.get(port);
  if (i === undefined) {
    i = list.length;
    index.set(port, i);
    list.push(port);
  }
  return i;
}
