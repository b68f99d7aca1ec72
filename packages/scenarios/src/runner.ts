import { LabError, Recorder, type ClientRecord, type LabEvent, type RequestRecord } from '@keepalive-lab/core';
import { runLoad } from '@keepalive-lab/client';
import { checkExpectations, type ExpectationResult } from './expectations.js';
import { joinPeerLogs, joinRecords } from './join.js';
import { computeMetrics, type Metrics } from './metrics.js';
import { chainOf, type Scenario } from './schema.js';
import { countTimeWait, snapshotTimeWait, type TimeWaitCounts } from './timewait.js';
import { hopNames, startTopology, type PeerRecord } from './topology.js';
import { waitingFor } from './waiting-for.js';
import type { Verdict } from './result-document.js';

/**
 * The runner's event stream, as autocannon's run emits ticks and responses: every subscriber (the
 * progress line, the live page) follows the run from it, none polls. `t` is ms since this run
 * started, on the recorder's clock. One follower gets them (RunOptions.follow); the CLI fans it out
 * to its subscribers. A follower that wants only the clock and the count (`detail: false`: start,
 * ready, ticks, end) costs the run nothing per request; detail adds every recorded event and every
 * ended request's record, which the client then builds an object for.
 */
export type RunEvent = RunStart | RunReady | RunTick | RunLabEvent | RunRequestEnd | RunEnd;

/** Before anything starts: what will run. */
export interface RunStart {
  type: 'start';
  t: number;
  variant: string | null;
  scenario: Scenario;
  /** The proxies' names as their events carry them (`proxy`), client side first; [] when direct. */
  hops: string[];
  total: number;
  /** Wall clock (ISO). */
  startedAt: string;
}

/** The topology listens: where the client connects, the origins' ports. */
export interface RunReady {
  type: 'ready';
  t: number;
  url: string;
  originPorts: number[];
}

/** The run's heartbeat while the client runs (every TICK_MS): the clock moves even when nothing else does. */
export interface RunTick {
  type: 'tick';
  t: number;
  variant: string | null;
  done: number;
  total: number;
  /** One line: what the run is waiting for, in the scenario's terms. */
  waitingFor: string;
}

/** Each event a component recorded, as it is recorded. */
export interface RunLabEvent {
  type: 'event';
  t: number;
  event: LabEvent;
}

/** A request ended, answered or failed: the client's record (a joined one when replayed from a result). */
export interface RunRequestEnd {
  type: 'request';
  t: number;
  record: ClientRecord;
  done: number;
  total: number;
}

/** The run is over: measured and checked, or failed. */
export interface RunEnd {
  type: 'end';
  t: number;
  variant: string | null;
  durationMs: number | null;
  verdict: Verdict | null;
  /** Why the run failed; null when it ran. */
  error: string | null;
}

export const TICK_MS = 200;

export interface RunOutcome {
  /** Each proxy of the run: a real peer's version, config and log. */
  peers: PeerRecord[];
  /** Wall-clock time the run started (ISO): lines a peer logged can be set against `t`. */
  startedAt: string;
  requests: RequestRecord[];
  events: LabEvent[];
  metrics: Metrics;
  expectations: ExpectationResult[];
  durationMs: number;
}

/** Who follows a run: `emit` gets the stream in order; with `detail` false, only start, ready, tick and end. */
export interface RunFollower {
  emit: (p: RunEvent) => void;
  detail: boolean;
}

export interface RunOptions {
  variant?: string | null;
  follow?: RunFollower;
}

/**
 * One run of one resolved scenario: start the topology, fire the client,
 * close everything, then join, measure and check. Nothing here prints; what
 * happens is told on the run's stream (RunEvent) to whoever subscribed.
 */
export async function runScenario(s: Scenario, options: RunOptions = {}): Promise<RunOutcome> {
  const emit = options.follow?.emit;
  const detail = options.follow?.detail === true;
  const variant = options.variant ?? null;
  const total = s.client.requests;
  const chain = chainOf(s);
  const names = hopNames(chain);
  const recorder = new Recorder();
  const startedAt = new Date().toISOString();
  emit?.({ type: 'start', t: recorder.now(), variant, scenario: s, hops: names, total, startedAt });
  // Subscribed before anything starts, so a peer's first connection is told too; kept until the
  // topology is closed, so the closes it causes are told as well.
  const unsubscribe = emit && detail ? recorder.on((event) => emit({ type: 'event', t: event.t, event })) : null;
  try {
    const outcome = await measuredRun(s, { recorder, startedAt, chain, names, variant, total, emit, detail });
    emit?.({
      type: 'end',
      t: recorder.now(),
      variant,
      durationMs: outcome.durationMs,
      verdict: outcome.expectations.every((e) => e.pass) ? 'reproduced' : 'not-reproduced',
      error: null,
    });
    return outcome;
  } catch (err) {
    emit?.({
      type: 'end',
      t: recorder.now(),
      variant,
      durationMs: null,
      verdict: null,
      error: err instanceof Error ? err.message : String(err),
    });
    throw err;
  } finally {
    unsubscribe?.();
  }
}

/** What runScenario worked out before the run, and who follows it. */
interface RunContext {
  recorder: Recorder;
  startedAt: string;
  chain: ReturnType<typeof chainOf>;
  /** hopNames(chain). */
  names: string[];
  variant: string | null;
  /** s.client.requests. */
  total: number;
  emit: ((p: RunEvent) => void) | undefined;
  detail: boolean;
}

async function measuredRun(s: Scenario, run: RunContext): Promise<RunOutcome> {
  const { recorder, startedAt, chain, names, variant, total, emit, detail } = run;
  const topology = await startTopology(s, recorder);
  emit?.({ type: 'ready', t: recorder.now(), url: topology.url, originPorts: topology.originPorts });
  let records: ClientRecord[];
  let durationMs: number;
  let timeWait: TimeWaitCounts | null;
  const hint = waitingFor(s);
  let doneSoFar = 0;
  try {
    // The client connects to topology.url: the first proxy's listen port, or the origin's when direct.
    const twPorts = {
      originPorts: topology.originPorts,
      proxyPort: chain.length > 0 ? Number(new URL(topology.url).port || 80) : null,
    };
    // TIME_WAITs already on these ports (an earlier run's) are not this run's.
    const twBefore = await snapshotTimeWait(twPorts);
    const heartbeat = emit
      ? setInterval(() => emit({ type: 'tick', t: recorder.now(), variant, done: doneSoFar, total, waitingFor: hint }), TICK_MS).unref()
      : null;
    try {
      const load = await runLoad({
        url: topology.url,
        requests: total,
        concurrency: s.client.concurrency ?? total,
        keepAlive: s.client.keepAlive,
        maxSockets: s.client.maxSockets,
        method: s.client.method,
        engine: s.client.engine,
        timeout: s.client.timeout,
        interval: s.client.interval,
        ...(s.client.intervalSweep ? { intervalSweep: s.client.intervalSweep } : {}),
        hopHeader: s.client.hopHeader,
        recorder,
        // Only for a follower: the count for the ticks, and with detail each record as it ends (an object per request).
        onDone: emit
          ? (done) => {
              doneSoFar = done;
            }
          : undefined,
        onRecord:
          emit && detail ? (record, done) => emit({ type: 'request', t: record.end ?? recorder.now(), record, done, total }) : undefined,
      });
      records = load.records;
      durationMs = load.durationMs;
    } finally {
      if (heartbeat) clearInterval(heartbeat);
    }
    timeWait = await countTimeWait(twPorts, twBefore);
  } catch (err) {
    await topology.close();
    if (err instanceof LabError) throw err;
    throw new LabError('LAB_ERR_RUN_FAILED', `the run failed: ${err instanceof Error ? err.message : String(err)}`, {}, { cause: err });
  }
  await topology.close();
  const peers = await topology.peers();
  const hasProxy = chain.length > 0;
  const requests = joinRecords(
    records,
    recorder.events,
    chain.map((p, i) => ({ kind: p.kind, name: names[i] ?? p.kind })),
  );
  joinPeerLogs(
    requests,
    peers.map((p) => p.log),
  );
  const metrics = computeMetrics({
    requests,
    events: recorder.events,
    durationMs,
    batchGap: s.analysis.batchGap,
    originNames: s.origins.map((o) => o.name),
    timeWait,
    hasProxy,
    closeWindow: s.origins.some((o) => o.closeWindow > 0),
    ...(names[0] !== undefined ? { ownProxy: names[0] } : {}),
  });
  return {
    peers,
    startedAt,
    requests,
    events: recorder.events,
    metrics,
    expectations: checkExpectations(s.expect, metrics, s),
    durationMs,
  };
}
