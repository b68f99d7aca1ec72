import { serverDriver } from '../lib/drivers.js';
import { compare, cpuRatio, inverse, ratioGoal, rpsRatio } from '../lib/compare.js';
import { CONNECTIONS, PHASE_MS, ROUNDS, type SectionResult } from '../lib/measurement.js';

const CLI = 'lab origin (the command)';
const CLI_FAST = 'lab origin --engine fast';
const LIBRARY = 'createOrigin(), not recording';
const PLAIN = 'plain node:http';

/**
 * The lab origin as `lab origin` runs it (its recorder heard by the command,
 * which prints a line per request to a pipe this process drains) against a
 * bare node:http server answering `ok\n`. The library with nobody recording
 * is shown between them: what the stamps and counters cost, apart from the
 * events and the line. Judged by req/s (issue 12's figure) and by server
 * CPU per request (steadier on a shared machine: other work slows a server
 * down but hardly changes what a request costs it). `lab origin --engine
 * fast` (llhttp on raw sockets, the same stamps and events) is the row for
 * benchmarking proxies: its goal is the plain server's pace, the node
 * engine's stays as it was.
 */
export async function originSection(): Promise<SectionResult> {
  const rows = await compare([
    { label: CLI, server: 'lab-cli', run: serverDriver.run },
    { label: CLI_FAST, server: 'lab-cli-fast', run: serverDriver.run },
    { label: LIBRARY, server: 'lab', run: serverDriver.run },
    { label: PLAIN, server: 'plain', run: serverDriver.run },
  ]);
  return {
    title: 'origin: lab origin vs plain node:http',
    note: `each in its own child process; ${serverDriver.name}, ${CONNECTIONS} connections; ${ROUNDS} rounds of ${PHASE_MS} ms`,
    rows,
    lines: serverDriver.note === null ? [] : [serverDriver.note],
    goals: [
      ratioGoal('lab origin / plain, req/s', rpsRatio(rows, CLI, PLAIN), '>=', 0.95),
      ratioGoal('lab origin / plain, by server CPU per request', inverse(cpuRatio(rows, CLI, PLAIN)), '>=', 0.95),
      ratioGoal('lab origin --engine fast / plain, req/s', rpsRatio(rows, CLI_FAST, PLAIN), '>=', 0.95),
      ratioGoal('createOrigin() not recording / plain, req/s', rpsRatio(rows, LIBRARY, PLAIN), '>=', 0.95, false),
    ],
  };
}
