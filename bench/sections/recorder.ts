import { Recorder } from '@keepalive-lab/core';
import { serverDriver } from '../lib/drivers.js';
import { compare, cpuRatio, rpsRatio } from '../lib/compare.js';
import { CONNECTIONS, PHASE_MS, ROUNDS, type SectionResult } from '../lib/measurement.js';

/**
 * (c) What keeping every event costs the lab origin. Two measures:
 *
 * - end to end: the origin with a keeping Recorder vs one with keep: false,
 *   each in its own child process under the server driver (wrk). Shown, not judged: two
 *   children with the *same* options measured 31 to 46 µs per request here,
 *   so a ±20 % process-to-process spread hides a cost of a few per cent.
 * - direct: the recorder's own time per request event, in this process,
 *   keeping vs not, divided by the origin's CPU per request. Judged: it is
 *   exactly the work recording adds to each request, and it repeats.
 */
export async function recorderSection(): Promise<SectionResult> {
  const KEPT = 'Recorder keeping events';
  const NONE = 'Recorder({ keep: false })';
  const rows = await compare([
    { label: KEPT, server: 'lab-record', run: serverDriver.run },
    { label: NONE, server: 'lab-nokeep', run: serverDriver.run },
  ]);
  const kept = eventCost(true);
  const none = eventCost(false);
  const originCpu = rows.find((r) => r.label === NONE)?.cpuPerReq ?? null;
  const direct = originCpu === null || originCpu === 0 ? 0 : (kept - none) / originCpu;
  return {
    title: 'recorder overhead in the lab origin',
    note: `each in its own child process; ${serverDriver.name}, ${CONNECTIONS} connections; ${ROUNDS} rounds of ${PHASE_MS} ms`,
    rows,
    lines: [
      `recorder time per request event: ${kept.toFixed(3)} µs keeping, ${none.toFixed(3)} µs not ` +
        `(in-process, ${EVENTS.toLocaleString('en-US')} events, best of ${REPEATS})`,
      `the origin's CPU per request without recording: ${originCpu === null ? 'unknown (not Linux)' : `${originCpu.toFixed(1)} µs`}`,
    ],
    goals: [
      { label: 'CPU per request added by recording (direct)', value: direct, op: '<=', target: 0.1, unit: '%', judged: originCpu !== null },
      {
        label: 'server CPU per request, keeping / not (end to end)',
        value: cpuRatio(rows, KEPT, NONE).value - 1,
        op: '<=',
        target: 0.1,
        unit: '%',
        judged: false,
      },
      {
        label: 'req/s lost to recording (end to end)',
        value: 1 - rpsRatio(rows, KEPT, NONE).value,
        op: '<=',
        target: 0.1,
        unit: '%',
        judged: false,
      },
    ],
  };
}

const EVENTS = 500_000;
const REPEATS = 3;

/** µs per `originRequest` call, as the origin makes it (a lab id, a port, nth), best of REPEATS. */
function eventCost(keep: boolean): number {
  let best = Infinity;
  for (let k = 0; k < REPEATS; k++) {
    const r = new Recorder({ keep });
    const ids = Array.from({ length: 1024 }, (_, i) => `r${i + 1}`); // made outside the timing: the origin gets them from the parser
    const t0 = performance.now();
    for (let i = 0; i < EVENTS; i++) r.originRequest('origin', ids[i & 1023] ?? null, i >> 6, 40_000 + (i & 1023), (i & 63) + 1, 'GET', 0);
    best = Math.min(best, ((performance.now() - t0) * 1000) / EVENTS);
  }
  return best;
}
