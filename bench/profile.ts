/**
 * `tsx bench/profile.ts <kind> [seconds] [top]`: where a server's CPU goes per
 * request. Starts server kind <kind> (lib/server-entry.ts, or `lab-cli` for
 * `lab origin` itself) with `node --cpu-prof`, in front of a plain node:http
 * origin when the kind is a proxy (`pipe-l4`, `l7-fast`... : the origin port
 * is filled in), drives it with the server driver (wrk) for [seconds]
 * (default 5), stops it, and prints:
 *
 *   - its CPU per request from /proc (user + system), the figure the bench judges;
 *   - the profile's self time per request (µs) by function (the top 25, or [top]), and by where
 *     the code lives (the lab's packages, node's internals, native, GC, idle).
 *
 * The .cpuprofile is kept (its path is printed): open it in Chrome DevTools
 * or speedscope for the flame graph. A figure, not a test.
 */
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuMicros } from './lib/cpu.js';
import { serverDriver } from './lib/drivers.js';
import { startServerChild } from './lib/server-child.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  /** µs on CLOCK_MONOTONIC, the clock of process.hrtime: samples can be matched to the measured run. */
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const PROXIES = new Set(['l7', 'l7-fast', 'pipe-l4', 'http-proxy', 'nginx', 'haproxy', 'haproxy-tcp']);
const [kind = '', secondsArg = '5', topArg = '25'] = process.argv.slice(2);
if (kind === '') {
  process.stderr.write('usage: tsx bench/profile.ts <kind> [seconds] [top]   (kinds: lab-cli, lab, plain, pipe-l4, l7-fast, ...)\n');
  process.exit(2);
}
const seconds = Number(secondsArg);

/** Where a frame's code lives, for the summary by place. */
function place(url: string, name: string): string {
  if (name === '(garbage collector)' || name === '(idle)' || name === '(program)' || name === '(root)') return name;
  if (url.includes('/packages/')) return `lab ${url.slice(url.indexOf('/packages/') + 10).split('/')[0]}`;
  if (url.startsWith('node:')) return 'node internals';
  if (url.includes('node_modules')) return 'node_modules';
  if (url === '') return 'native';
  return 'other';
}

const dir = await mkdtemp(join(tmpdir(), 'lab-profile-'));
const origin = PROXIES.has(kind) ? await startServerChild('plain') : null;
const server = await startServerChild(origin === null ? kind : `${kind}@${origin.port}`, {
  execArgv: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
});
let requests = 0;
let cpu = 0;
const micros = (): number => Number(process.hrtime.bigint() / 1000n);
let runStart = 0;
let runEnd = 0;
try {
  await serverDriver.run('warm-up', server.url, 1000);
  const cpu0 = cpuMicros(server.pid) ?? 0;
  runStart = micros();
  const m = await serverDriver.run(kind, server.url, seconds * 1000);
  runEnd = micros();
  cpu = (cpuMicros(server.pid) ?? 0) - cpu0;
  requests = m.ok;
  process.stdout.write(`${kind}: ${Math.round(m.rps)} req/s, p99 ${m.p99} ms, ${m.failed} failed (${serverDriver.name}, ${seconds} s)\n`);
} finally {
  await server.stop();
  await origin?.stop();
}
const file = (await readdir(dir)).find((f) => f.endsWith('.cpuprofile'));
if (file === undefined) throw new Error(`no .cpuprofile in ${dir}`);
const profile = JSON.parse(await readFile(join(dir, file), 'utf8')) as CpuProfile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<string, number>();
const byPlace = new Map<string, number>();
let total = 0;
let t = profile.startTime;
profile.samples.forEach((id, i) => {
  const n = byId.get(id);
  const dt = profile.timeDeltas[i] ?? 0;
  t += dt;
  // Only the measured run: start-up, module loading and the warm-up are not what a request costs.
  if (n === undefined || t < runStart || t > runEnd) return;
  const { functionName, url, lineNumber } = n.callFrame;
  const name = functionName === '' ? '(anonymous)' : functionName;
  const where = url === '' ? '' : ` ${url.replace(/^.*\/(packages|node_modules)\//, '$1/').replace(/^file:\/\//, '')}:${lineNumber + 1}`;
  self.set(`${name}${where}`, (self.get(`${name}${where}`) ?? 0) + dt);
  byPlace.set(place(url, name), (byPlace.get(place(url, name)) ?? 0) + dt);
  total += dt;
});
const perReq = (us: number): string => (requests === 0 ? '?' : (us / requests).toFixed(2));
process.stdout.write(
  `CPU per request (/proc, user + system, the measured run): ${perReq(cpu)} µs\n` +
    `profile: ${(total / 1000).toFixed(0)} ms sampled in the run (idle included); below, self time ÷ requests (µs) and share\n\n`,
);
const top = (m: Map<string, number>, n: number): string =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, us]) => `${perReq(us).padStart(8)}  ${((us / total) * 100).toFixed(1).padStart(5)} %  ${k}`)
    .join('\n');
process.stdout.write(
  `by place:\n${top(byPlace, 12)}\n\nby function (self):\n${top(self, Number(topArg))}\n\nprofile: ${join(dir, file)}\n`,
);
