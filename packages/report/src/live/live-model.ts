import type { LabEvent } from '@keepalive-lab/core';
import type { RunEvent, RunStart } from '@keepalive-lab/scenarios';
import { markdownToHtml } from '../html/markdown.js';
import { Lanes } from './live-lanes.js';
import { LOG_LINES, StoryTeller, seconds } from './live-story.js';
import type { Phase, WireCounters, WireDelta, WireLink, WireReplay, WireRun, WireSnapshot } from './live-wire.js';

/** The origin as its lanes name it: `origin`, or `origin blue` when it has a name of its own. */
const originLabel = (name: string): string => (name === 'origin' ? 'origin' : `origin ${name}`);

/** `200`, `502`: made once per status, not once per answer. */
const STATUS_TEXT = new Map<number | null, string>();
const statusText = (status: number | null): string => {
  let text = STATUS_TEXT.get(status);
  if (text === undefined) STATUS_TEXT.set(status, (text = String(status)));
  return text;
};

/** One run as the page draws it: its lanes, counts and log. */
interface RunState {
  info: WireRun;
  hops: string[];
  /** Index of the link into the origins. */
  last: number;
  lanes: Lanes;
  story: StoryTeller;
  done: number;
  ok: number;
  failures: Record<string, number>;
}

/**
 * What the live page shows, built from the runner's stream (RunEvent) as
 * it comes: one lane per connection at each link, requests as bars, closes
 * with who and why, counters, a log. The server applies every event (cheap:
 * a few map lookups) and sends `take()` at most every flush interval, so
 * 10,000 requests cost the page 10 messages a second, not 10,000.
 */
export class LiveModel {
  readonly mode: 'live' | 'replay';
  #phase: Phase = 'waiting';
  #now = 0;
  #end: number | null = null;
  #waitingFor = '';
  #verdict: string | null = null;
  #error: string | null = null;
  #run: RunState | null = null;
  #log: string[] = [];
  #newLog: string[] = [];
  /** The run's last line, told after the story of its last flush. */
  #endLine: string | null = null;
  #replay: WireReplay | null = null;
  #changed = true;
  /** A new run began since the last take(): the page starts over from a snapshot. */
  #reset = true;

  constructor(mode: 'live' | 'replay' = 'live') {
    this.mode = mode;
  }

  get phase(): Phase {
    return this.#phase;
  }

  setReplay(r: WireReplay | null): void {
    this.#replay = r;
    this.#changed = true;
  }

  apply(p: RunEvent): void {
    this.#changed = true;
    if (p.type === 'start') {
      this.#begin(p);
      return;
    }
    this.#now = Math.max(this.#now, p.t);
    const run = this.#run;
    if (!run) return;
    switch (p.type) {
      case 'ready':
        run.info.url = p.url;
        run.info.originPorts = p.originPorts;
        break;
      case 'tick':
        this.#waitingFor = p.waitingFor;
        break;
      case 'event':
        this.#labEvent(run, p.event);
        break;
      case 'request': {
        const r = p.record;
        const failed = r.error !== null || (r.status ?? 0) >= 400;
        const st = r.error ?? statusText(r.status);
        run.done++;
        if (failed) run.failures[st] = (run.failures[st] ?? 0) + 1;
        else run.ok++;
        // A hop that tells nothing (a real peer, the client itself): the record's ports place the request.
        const { lanes } = run;
        // Told by the hops already (the usual case): nothing to place.
        if (lanes.isOnBoth(r.id, 0, run.last)) {
          lanes.end(r.id, r.end ?? p.t, st, failed);
          break;
        }
        if (r.clientPort !== null && !lanes.isOn(r.id, 0)) {
          const lane =
            lanes.latest(0, r.clientPort) ??
            lanes.open('port', '', r.clientPort, 0, 'client', r.clientPort, r.start, run.hops[0] ?? 'origin');
          lanes.place(lane, r.id, r.start);
        }
        if (r.originPort !== null && !lanes.isOn(r.id, run.last)) {
          const origin = lanes.latest(run.last, r.originPort);
          if (origin) lanes.place(origin, r.id, r.start);
        }
        lanes.end(r.id, r.end ?? p.t, st, failed);
        break;
      }
      case 'end':
        this.#phase = p.error === null ? 'done' : 'failed';
        this.#end = this.#now;
        this.#verdict = p.verdict;
        this.#error = p.error;
        this.#waitingFor = '';
        this.#endLine =
          p.error === null
            ? `${seconds(this.#now)} run over: ${p.verdict ?? ''}${p.durationMs === null ? '' : ` (last answer at ${seconds(p.durationMs)})`}`
            : `${seconds(this.#now)} the run failed: ${p.error}`;
        break;
    }
  }

  #begin(p: RunStart): void {
    const s = p.scenario;
    const hops = p.hops;
    const last = hops.length;
    const names = ['client', ...hops];
    const links: WireLink[] = names.map((from, k) => ({
      label: `${from} → ${k === last ? 'origin' : hops[k]}`,
      roles: [...(k === 0 ? ['client'] : []), ...(k === last ? ['origin'] : [])],
    }));
    const info: WireRun = {
      scenario: s.name,
      title: s.title,
      variant: p.variant,
      storyHtml: markdownToHtml(s.story ?? ''),
      links,
      total: p.total,
      url: null,
      originPorts: [],
    };
    this.#run = {
      info,
      hops,
      last,
      lanes: new Lanes(names),
      story: new StoryTeller(
        names.map((from, k) => ({ from, to: k === last ? 'the origin' : (hops[k] ?? '') })),
        p.total,
      ),
      done: 0,
      ok: 0,
      failures: {},
    };
    this.#phase = 'running';
    this.#now = p.t;
    this.#end = null;
    this.#verdict = null;
    this.#error = null;
    this.#waitingFor = '';
    this.#log = [];
    this.#newLog = [];
    this.#endLine = null;
    this.#reset = true;
    this.#tell(`${seconds(p.t)} ${s.name}${p.variant ? ` [${p.variant}]` : ''}: ${p.total.toLocaleString('en-US')} requests`);
  }

  #labEvent(run: RunState, e: LabEvent): void {
    const { lanes, hops, last } = run;
    switch (e.event) {
      case 'conn-open':
        lanes.open('origin', e.origin, e.conn, last, 'server', e.remotePort, e.t, originLabel(e.origin));
        break;
      case 'conn-close':
        lanes.close('origin', e.origin, e.conn, 'server', e.reason, e.t, originLabel(e.origin));
        break;
      case 'request': {
        const lane =
          lanes.get('origin', e.origin, e.conn) ??
          lanes.open('origin', e.origin, e.conn, last, 'server', e.remotePort, e.t, originLabel(e.origin));
        if (e.id !== null) lanes.place(lane, e.id, e.t);
        break;
      }
      case 'fault':
        this.#tell(`${seconds(e.t)} ⚡ origin ${e.origin} fault ${e.fault} on connection ${e.conn}${e.id ? ` (${e.id})` : ''}`);
        break;
      case 'client-open': {
        const k = hops.indexOf(e.proxy);
        if (k >= 0) lanes.open('client', e.proxy, e.clientConn, k, 'server', e.clientPort, e.t, e.proxy);
        break;
      }
      case 'client-close':
        lanes.close('client', e.proxy, e.clientConn, 'server', e.reason, e.t, e.proxy);
        break;
      case 'upstream-open': {
        const k = hops.indexOf(e.proxy);
        if (k < 0) break;
        const server = k + 1 === last ? 'origin' : (hops[k + 1] ?? '');
        const lane = lanes.open('upstream', e.proxy, e.upstreamConn, k + 1, 'client', e.localPort, e.t, server);
        const parent = e.clientConn === null ? undefined : lanes.get('client', e.proxy, e.clientConn);
        if (parent) lanes.setParent(lane, parent);
        break;
      }
      case 'upstream-close':
        lanes.close('upstream', e.proxy, e.upstreamConn, 'client', e.reason, e.t, e.proxy);
        break;
      case 'forward': {
        if (e.id === null) break;
        const up = lanes.get('upstream', e.proxy, e.upstreamConn);
        const client = lanes.get('client', e.proxy, e.clientConn);
        if (client) lanes.place(client, e.id, e.t);
        if (up) lanes.place(up, e.id, e.t);
        break;
      }
      case 'reject': {
        const client = lanes.get('client', e.proxy, e.clientConn);
        if (client && e.id !== null) lanes.place(client, e.id, e.t);
        break;
      }
    }
  }

  #tell(line: string): void {
    this.#newLog.push(line);
  }

  #counters(): WireCounters {
    const run = this.#run;
    const links = run?.info.links.length ?? 0;
    const c: WireCounters = {
      done: run?.done ?? 0,
      ok: run?.ok ?? 0,
      failed: (run?.done ?? 0) - (run?.ok ?? 0),
      failures: { ...(run?.failures ?? {}) },
      inFlight: run?.lanes.inFlight ?? 0,
      open: new Array<number>(links).fill(0),
      opened: new Array<number>(links).fill(0),
      closes: {},
      idleCloses: 0,
    };
    for (const lane of run?.lanes.all ?? []) {
      c.opened[lane.link] = (c.opened[lane.link] ?? 0) + 1;
      if (lane.closed === null) c.open[lane.link] = (c.open[lane.link] ?? 0) + 1;
      const v = lane.verdict();
      if (v) {
        c.closes[v.reason] = (c.closes[v.reason] ?? 0) + 1;
        if (v.mark === 'idle') c.idleCloses++;
      }
    }
    return c;
  }

  /** Everything so far: what a page gets when it connects. */
  snapshot(): WireSnapshot {
    return {
      type: 'snapshot',
      mode: this.mode,
      phase: this.#phase,
      now: this.#now,
      end: this.#end,
      run: this.#run?.info ?? null,
      waitingFor: this.#waitingFor,
      verdict: this.#verdict,
      error: this.#error,
      counters: this.#counters(),
      lanes: this.#run?.lanes.all.map((l) => l.toWire()) ?? [],
      log: this.#log.slice(),
      replay: this.#replay,
    };
  }

  /** What changed since the last call: a snapshot after a new run began, else a delta; null when nothing did. */
  take(): WireSnapshot | WireDelta | null {
    if (!this.#changed) return null;
    this.#changed = false;
    const run = this.#run;
    const story = run ? run.story.lines(this.#now, run.lanes, run.done, run.failures) : [];
    const added = [...this.#newLog, ...story, ...(this.#endLine === null ? [] : [this.#endLine])];
    this.#newLog = [];
    this.#endLine = null;
    this.#log.push(...added);
    if (this.#log.length > LOG_LINES) this.#log.splice(0, this.#log.length - LOG_LINES);
    if (this.#reset) {
      this.#reset = false;
      run?.lanes.dirty.clear();
      return this.snapshot();
    }
    const lanes = run ? [...run.lanes.dirty].map((l) => l.toWire()) : [];
    run?.lanes.dirty.clear();
    return {
      type: 'delta',
      phase: this.#phase,
      now: this.#now,
      end: this.#end,
      waitingFor: this.#waitingFor,
      verdict: this.#verdict,
      error: this.#error,
      counters: this.#counters(),
      lanes,
      log: added,
      replay: this.#replay,
    };
  }
}
