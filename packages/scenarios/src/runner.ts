import { LabError, Recorder, type ClientRecord, type LabEvent, type RequestRecord } from '@keepalive-lab/core';
import { runLoad } from '@keepalive-lab/client';
import { checkExpectations, type ExpectationResult } from './expectations.js';
import { joinPeerLogs, joinRecords } from './join.js';
import { computeMetrics, type Metrics } from './metrics.js';
import { chainOf, type Scenario } from './schema.js';
import { countTimeWait, snapshotTimeWait, type TimeWaitCounts } from './timewait.js';
import { hopNames, startTopology, type PeerRecord } from './topology.js';
import { waitingFor } from './waiting-for.js';

/** What a running scenario tells whoever shows progress (the CLI, on a TTY only). */
export interface RunProgress {
  variant: string | null;
  done: number;
  total: number;
  /** ms since this run started. */
  elapsed: number;
  /** One line: what the run is waiting for, in the scenario's terms. */
  waitingFor: string;
}

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

export interface RunOptions {
  variant?: string | null;
  onProgress?: (p: RunProgress) => void;
}

/**
 * One run of one resolved scenario: start the topology, fire the client,
 * close everything, then join, measure and check. Nothing here prints.
 */
export async function runScenario(s: Scenario, options: RunOptions = {}): Promise<RunOutcome> {
  const recorder = new Recorder();
  const startedAt = new Date().toISOString();
  const topology = await startTopology(s, recorder);
  let records: ClientRecord[];
  let durationMs: number;
  let timeWait: TimeWaitCounts | null;
  const total = s.client.requests;
  const hint = waitingFor(s);
  const variant = options.variant ?? null;
  const progress = options.onProgress;
  let doneSoFar = 0;
  try {
    // The client connects to topology.url: the first proxy's listen port, or the origin's when direct.
    const twPorts = {
      originPorts: topology.originPorts,
      proxyPort: chainOf(s).length > 0 ? Number(new URL(topology.url).port || 80) : null,
    };
    // TIME_WAITs already on these ports (an earlier run's) are not this run's.
    const twBefore = await snapshotTimeWait(twPorts);
    const ticker = progress
      ? setInterval(() => progress({ variant, done: doneSoFar, total, elapsed: recorder.now(), waitingFor: hint }), 200).unref()
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
        onRecord: (_rec, done) => {
          doneSoFar = done;
        },
      });
      records = load.records;
      durationMs = load.durationMs;
    } finally {
      if (ticker) clearInterval(ticker);
    }
    timeWait = await countTimeWait(twPorts, twBefore);
  } catch (err) {
    await topology.close();
    if (err instanceof LabError) throw err;
    throw new LabError('LAB_ERR_RUN_FAILED', `the run failed: ${err instanceof Error ? err.message : String(err)}`, {}, { cause: err });
  }
  await topology.close();
  const peers = await topology.peers();
  const chain = chainOf(s);
  const hasProxy = chain.length > 0;
  const names = hopNames(chain);
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
