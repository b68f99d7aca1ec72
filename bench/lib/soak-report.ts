import type { ProxyEventCounts } from './soak-children.js';
import type { ChurnLoad, Measurement, Peak } from './soak-measure.js';
import type { OriginRestart } from './soak-restarts.js';
import { addTally, emptyTally, type Tally } from './soak-tally.js';
import { FD_TOLERANCE, RSS_TOLERANCE } from './soak-verdict.js';
import { textTable } from './print.js';

/** One engine's soak, as `--json` prints it (an array of these, with the run's settings). */
export interface EngineSoak {
  engine: string;
  /** Churn before the baseline, to bring the proxy to its steady state (ms). */
  warmupMs: number;
  churnMs: number;
  behaviours: Record<string, Tally>;
  restarts: OriginRestart[];
  baseline: Measurement;
  end: Measurement;
  peak: Peak;
  load: ChurnLoad;
  /** Counted from `lab proxy --json` over the whole run, warm-up included. */
  proxyEvents: ProxyEventCounts;
  /** Why the verdict failed; empty: back to baseline. */
  failures: string[];
}

const mb = (b: number): string => (b / 1024 / 1024).toFixed(1);
const n = (v: number): string => v.toLocaleString('en-US');
const signed = (v: number, f: (x: number) => string): string => `${v >= 0 ? '+' : '−'}${f(Math.abs(v))}`;
const move = (a: number, b: number, f: (x: number) => string = n): string => `${f(a)} → ${f(b)} (${signed(b - a, f)})`;
const statuses = (t: Tally): string =>
  Object.entries(t.statuses)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([s, c]) => `${s}×${n(c)}`)
    .join(' ');

function total(behaviours: Record<string, Tally>): Tally {
  const all = emptyTally();
  for (const t of Object.values(behaviours)) addTally(all, t);
  return all;
}

/** Requests by behaviour, one row per behaviour and engine. */
function requestsTable(runs: EngineSoak[]): string {
  const rows: string[][] = [];
  const names = Object.keys(runs[0]?.behaviours ?? {});
  for (const name of [...names, 'all']) {
    for (const r of runs) {
      const t = name === 'all' ? total(r.behaviours) : r.behaviours[name];
      if (t === undefined) continue;
      rows.push([name, r.engine, n(t.sessions), n(t.sent), n(t.answered), n(t.failed), n(t.abandoned), n(t.stuck), n(t.late), statuses(t)]);
    }
  }
  const head = [
    'behaviour',
    'engine',
    'sessions',
    'sent',
    'answered',
    'failed',
    'abandoned',
    'stuck',
    'of which late',
    'answers by status',
  ];
  return textTable(
    head,
    rows,
    head.map((_, i) => i >= 2 && i <= 8),
  );
}

const tcpOthers = (m: Measurement): string =>
  Object.entries(m.tcp)
    .filter(([s]) => s !== 'ESTABLISHED' && s !== 'CLOSE_WAIT')
    .map(([s, c]) => `${s} ${c}`)
    .join(', ') || '–';

/** Baseline against end, one column per engine. */
function resourcesTable(runs: EngineSoak[]): string {
  const col = (f: (r: EngineSoak) => string) => runs.map(f);
  const est = (m: Measurement) => m.tcp.ESTABLISHED ?? 0;
  const cw = (m: Measurement) => m.tcp.CLOSE_WAIT ?? 0;
  const rows: string[][] = [
    ['RSS after GC, MB (VmRSS)', ...col((r) => move(r.baseline.rss, r.end.rss, mb))],
    ['V8 heap used after GC, MB', ...col((r) => move(r.baseline.heap.heapUsed, r.end.heap.heapUsed, mb))],
    ['fds', ...col((r) => move(r.baseline.fds, r.end.fds))],
    ['TCP ESTABLISHED', ...col((r) => move(est(r.baseline), est(r.end)))],
    ['TCP CLOSE_WAIT', ...col((r) => move(cw(r.baseline), cw(r.end)))],
    ['other TCP states (end)', ...col((r) => tcpOthers(r.end))],
    [
      'settled in (baseline / end)',
      ...col((r) => `${(r.baseline.settledMs / 1000).toFixed(0)} s / ${(r.end.settledMs / 1000).toFixed(0)} s`),
    ],
    ['peak in churn: RSS MB / fds', ...col((r) => `${mb(r.peak.rss)} / ${n(r.peak.fds)}`)],
    ['peak in churn: ESTAB / CLOSE_WAIT', ...col((r) => `${n(r.peak.established)} / ${n(r.peak.closeWait)}`)],
    ['peak in churn: accept queue (at)', ...col((r) => `${n(r.peak.acceptQueue)} (${r.peak.acceptQueueAt} s)`)],
    [
      'churn: forwards/s, proxy CPU (cores)',
      ...col((r) => `${n(r.load.forwardedPerSecond)}/s, ${r.load.cpuShareOfOneCore?.toFixed(2) ?? '?'}`),
    ],
    ['proxy loop delay since baseline p99/max ms', ...col((r) => `${r.end.heap.loopDelayMs.p99} / ${r.end.heap.loopDelayMs.max}`)],
    ['machine load average at churn end', ...col((r) => r.load.loadAverage.toFixed(1))],
    ['requests sent / answered', ...col((r) => `${n(total(r.behaviours).sent)} / ${n(total(r.behaviours).answered)}`)],
    ['stuck requests (late ones)', ...col((r) => `${n(total(r.behaviours).stuck)} (${n(total(r.behaviours).late)})`)],
    ['origin restarts (TERM/KILL)', ...col((r) => restartsCell(r.restarts))],
    ['proxy-counted open client conns', ...col((r) => n(r.proxyEvents.clientOpen - r.proxyEvents.clientClose))],
    ['proxy-counted open upstream conns', ...col((r) => n(r.proxyEvents.upstreamOpen - r.proxyEvents.upstreamClose))],
    ['verdict', ...col((r) => (r.failures.length === 0 ? 'back to baseline' : 'NOT back to baseline'))],
  ];
  return textTable(['', ...runs.map((r) => r.engine)], rows, []);
}

function restartsCell(rs: OriginRestart[]): string {
  const term = rs.filter((r) => r.signal === 'SIGTERM').length;
  return `${rs.length} (${term}/${rs.length - term})`;
}

/** Behaviour-specific outcomes, what the proxy answered itself, why its upstream sockets closed. */
function detailLines(r: EngineSoak): string[] {
  const out = [`${r.engine}:`];
  for (const [name, t] of Object.entries(r.behaviours)) {
    const notes = Object.entries(t.notes).map(([k, v]) => `${k} ×${n(v)}`);
    if (notes.length > 0) out.push(`  ${name}: ${notes.join('; ')}`);
  }
  const rejects = Object.entries(r.proxyEvents.rejects).map(([k, v]) => `${k} ×${n(v)}`);
  out.push(`  proxy answered itself: ${rejects.join('; ') || 'never'}`);
  const reasons = Object.entries(r.proxyEvents.upstreamCloseReasons).map(([k, v]) => `${k} ×${n(v)}`);
  out.push(`  upstream closes by reason: ${reasons.join('; ') || 'none'}`);
  out.push(
    `  origin restarts at: ${r.restarts.map((x) => `${x.at}s ${x.signal} (down ${(x.downMs / 1000).toFixed(1)} s)`).join(', ') || 'none'}`,
  );
  for (const f of r.failures) out.push(`  ✗ ${f}`);
  return out;
}

export function renderSoak(runs: EngineSoak[], header: string): string {
  return [
    header,
    '',
    'Requests by behaviour: each ends answered, failed, abandoned on purpose, or stuck; late = owed at the session deadline (15 s, slow readers 25 s),' +
      ' then given 45 s more: stuck is still owed then, on an open connection',
    requestsTable(runs),
    '',
    `Proxy process, baseline (after warm-up, settled) → end (after the churn, settled); judged: stuck 0, CLOSE_WAIT 0, fds ±${FD_TOLERANCE},` +
      ` ESTABLISHED ≤ baseline + ${FD_TOLERANCE}, RSS ≤ baseline + ${mb(RSS_TOLERANCE)} MB`,
    resourcesTable(runs),
    '',
    ...runs.flatMap(detailLines),
    '',
  ].join('\n');
}
