import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ERROR_CODES, LabError, type LabErrorCode, type LabErrorDetails } from '@keepalive-lab/core';
import { scenarioRuns, type LoadedScenario } from './loader.js';
import type { ResultDocument } from './result-document.js';
import type { RunEvent, RunFollower } from './runner.js';

/**
 * `network.namespace: true`: the whole scenario — every variant, in order —
 * runs in a child process inside a user + network namespace of its own:
 *
 *   unshare -rn -- node [--import tsx] netns-entry.[tj]s   (this file's runInNamespace)
 *     stdin:  { loaded, localPortRange, progress }        (the LoadedScenario as JSON)
 *     inside: lo up, ip_local_port_range = network.localPortRange (when given),
 *             tcp_tw_reuse = 0, then runToDocument(loaded) — the same code
 *             path, with the namespace flag off so it does not recurse
 *     stdout: NDJSON (NamespaceLine), one object with one key per line:
 *             { progress: RunEvent } for each event of the run's stream, as
 *             it happens, only when `progress` asked for them; then last
 *             { result: { ok: true, doc, localPortRange } | { ok: false, stage, error } }
 *     stderr: passed through to ours as it comes, its tail kept for errors
 *
 * The namespace has nothing but its own loopback: 127.0.0.1 there is not the
 * host's (a server on the host is unreachable from the run), every port is
 * free, and the sockets it leaves in TIME_WAIT die with it when the child
 * exits. `tcp_tw_reuse` is 0 in it: Linux's default (2) lets a connection
 * over loopback take a port still in TIME_WAIT after 1 s, which a connection
 * between two hosts never may; the namespace stands for that network.
 *
 * The run's stream crosses the boundary: the parent hands each `progress`
 * line to its own listener as it arrives, so a namespaced run is followed
 * like one on the host — the same events in the same order, their `t` on the
 * child's run clock (ms since that run's start, as on the host: each run
 * starts a Recorder of its own), all of them before the promise resolves.
 * Without a listener the child is not asked for them and serialises none.
 * A line that is not the protocol (not JSON, an unknown key, anything after
 * the result, or cut off by the child's end) fails the run with
 * LAB_ERR_RUN_FAILED at once: the child is killed, nothing waits for it.
 *
 * When no namespace can be made (not Linux, no `unshare` or `ip`, user
 * namespaces not permitted):
 * - with `network.localPortRange`, the namespace was wanted for its narrow
 *   port range: the scenario runs on the host instead, in this process, with
 *   the host's range and TIME_WAIT per side as usual, and the document's
 *   `network` says so (`namespace: false`, `why`, the host's range, and a
 *   `note` extrapolating the host's range: ports ÷ 60 s of TIME_WAIT = new
 *   connections per second to one destination before connect() fails);
 *   one line on stderr says the same. Its checks are judged as usual: on
 *   the host's 28,232 ports a few hundred connections exhaust nothing, so a
 *   check that needs the exhaustion fails, and the verdict says so.
 * - without one, the namespace was wanted for isolation itself, which the
 *   host cannot give: LAB_ERR_RUN_FAILED, saying why and how to run it.
 */

/** The document's `network` field, for a scenario with `network.namespace: true`. */
export interface NetworkOutcome {
  /** Whether the run had a network namespace of its own. */
  namespace: boolean;
  /** The ip_local_port_range its connections drew from (the namespace's, or the host's); null when unknown (not Linux). */
  localPortRange: [number, number] | null;
  /** Why there was no namespace (the run fell back to the host). */
  why?: string;
  /** On the host: what its port range means, 60 s of TIME_WAIT per closed connection. */
  note?: string;
}

/** A result document with `network` (the field is written for namespace scenarios only). */
export type NetworkedDocument = ResultDocument & { network: NetworkOutcome };

/** Request to the child, on its stdin. */
export interface NamespaceRequest {
  loaded: LoadedScenario;
  localPortRange: [number, number] | null;
  /** Whether to send the run's stream (the parent has a follower). */
  progress: boolean;
  /** With `progress`: every event and request too, not only start, ready, ticks and end (RunFollower.detail). */
  detail: boolean;
}

/** One line of the child's stdout: an event of the run's stream, or (last) its reply. */
export type NamespaceLine = { progress: RunEvent } | { result: NamespaceReply };

/** The child's last line: its document, or what failed. */
export type NamespaceReply =
  | { ok: true; doc: ResultDocument; localPortRange: [number, number] | null }
  | { ok: false; stage: 'setup' | 'run'; error: { code?: string; errno?: string; message: string; details?: LabErrorDetails } };

/** Linux's TIME_WAIT, fixed in the kernel (TCP_TIMEWAIT_LEN). */
export const TIME_WAIT_SECONDS = 60;

/** Run from the sources (tests, tsx) or from `lab`'s compiled build (packages/cli/bin/compiled.js): the child runs the same. */
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const ENTRY = fileURLToPath(new URL(FROM_SOURCE ? './netns-entry.ts' : './netns-entry.js', import.meta.url));
/** tsx's loader by absolute URL (`--import tsx` would resolve from the cwd, which may be anywhere); the compiled build needs none. */
const LOADER = FROM_SOURCE ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href] : [];

let inside = false;
/** Loaded scenarios running on the host as the fallback: the hook must not send them to a namespace again. */
const onHost = new WeakSet<LoadedScenario>();

/** Called by netns-entry.ts: this process is the namespace, scenarios run here as they are. */
export function markInsideNamespace(): void {
  inside = true;
}

/** The hook's question: does this scenario go to a namespace (it asks for one, and we are not in it already)? */
export function needsNamespace(loaded: LoadedScenario): boolean {
  return loaded.scenario.network.namespace && !inside && !onHost.has(loaded);
}

export type NamespaceSupport = { ok: true } | { ok: false; why: string };
let support: Promise<NamespaceSupport> | null = null;

/**
 * Whether `unshare -rn` can make a namespace here and bring its loopback up:
 * asked once per process (`unshare -rn ip link set lo up`, a few ms).
 */
export function namespaceSupport(): Promise<NamespaceSupport> {
  support ??= probe();
  return support;
}

async function probe(): Promise<NamespaceSupport> {
  if (process.platform !== 'linux') return { ok: false, why: `network namespaces are Linux only (this is ${process.platform})` };
  const r = await run('unshare', ['-rn', 'ip', 'link', 'set', 'lo', 'up']);
  if (r.spawnError === 'ENOENT') return { ok: false, why: '`unshare` (util-linux) is not installed' };
  if (r.spawnError !== null) return { ok: false, why: `\`unshare\` could not be started (${r.spawnError})` };
  if (r.code === 0) return { ok: true };
  const said = r.stderr.trim().split('\n')[0] ?? '';
  if (/execute ip|ip: not found|No such file/.test(said))
    return { ok: false, why: "`ip` (iproute2) is not installed: the namespace's loopback cannot be brought up" };
  if (/not permitted|EPERM|Permission denied/i.test(said))
    return { ok: false, why: `\`unshare -rn\` is not permitted for this user (${said}): user namespaces are off or restricted` };
  return { ok: false, why: `\`unshare -rn\` failed (${said || `exit code ${r.code}`})` };
}

/**
 * Runs the loaded scenario in a namespace and returns the document the
 * child printed, with `network`; falls back to the host as the header says.
 * `runHere` is runToDocument (passed in, so this file needs no import of it).
 */
export async function runInNamespace(
  loaded: LoadedScenario,
  runHere: (l: LoadedScenario, follow?: RunFollower) => Promise<ResultDocument>,
  follow?: RunFollower,
): Promise<NetworkedDocument> {
  const s = loaded.scenario;
  const range = s.network.localPortRange ?? null;
  const runs = scenarioRuns(loaded);
  if (!runs.ok) throw runs.error;
  for (const r of runs.value) {
    // One namespace for the whole scenario: a variant cannot have another.
    if (JSON.stringify(r.scenario.network) !== JSON.stringify(s.network)) {
      const where = `variant ${r.variant?.name ?? '?'}`;
      throw new LabError(
        'LAB_ERR_SCENARIO_INVALID',
        `${loaded.file}: ${where} sets network.*: every variant runs in the scenario's one namespace, set network: at the top`,
        { file: loaded.file, path: 'variants', found: where },
      );
    }
  }
  let why: string;
  const can = await namespaceSupport();
  if (can.ok) {
    const reply = await inChild(
      { loaded, localPortRange: range, progress: follow !== undefined, detail: follow?.detail === true },
      s.name,
      follow?.emit,
    );
    if (reply.ok) return { ...reply.doc, network: { namespace: true, localPortRange: reply.localPortRange } };
    // The kernel refusing the range itself is the scenario's fault, not the machine's.
    if (reply.stage === 'run' || reply.error.errno === 'EINVAL') throw asLabError(reply.error, s.name);
    why = `setting up the namespace failed: ${reply.error.message}`;
  } else why = can.why;
  if (range === null) {
    throw new LabError(
      'LAB_ERR_RUN_FAILED',
      `${s.name} runs in a network namespace of its own (network.namespace: true), and none can be made here: ${why}. ` +
        'Run it on Linux with util-linux (unshare) and iproute2 (ip), as root or as a user allowed user namespaces ' +
        '(sysctl user.max_user_namespaces > 0; on Debian/Ubuntu also kernel.unprivileged_userns_clone=1 and no AppArmor restriction).',
    );
  }
  const host = await hostPortRange();
  const note = extrapolate(host, range);
  process.stderr.write(`${s.name}: no network namespace here (${why}); running on this host's ports instead. ${note}\n`);
  onHost.add(loaded);
  try {
    const doc = await runHere(loaded, follow);
    return { ...doc, network: { namespace: false, localPortRange: host, why, note } };
  } finally {
    onHost.delete(loaded);
  }
}

/** What a port range means at 60 s of TIME_WAIT per connection closed first by the connecting side. */
export function extrapolate(host: [number, number] | null, wanted: [number, number]): string {
  const per = (r: [number, number]) => r[1] - r[0] + 1;
  // Rounded down: the rate a range sustains, not one that already runs out.
  const rate = (n: number) => Math.floor(n / TIME_WAIT_SECONDS);
  const inNs = `the namespace would have had ${per(wanted)} ports (≈ ${rate(per(wanted))} new connections/s)`;
  if (host === null)
    return `Each connection closed first by its connecting side holds its port for ${TIME_WAIT_SECONDS} s (Linux); ${inNs}.`;
  const n = per(host);
  return (
    `This host's range ${host[0]}–${host[1]} is ${n.toLocaleString('en-US')} ports; each connection closed first by its connecting side holds its port ` +
    `${TIME_WAIT_SECONDS} s, so connect() to one destination fails with EADDRNOTAVAIL above ≈ ${rate(n)} new connections/s sustained; ${inNs}.`
  );
}

/** This machine's ip_local_port_range; null off Linux. */
export async function hostPortRange(): Promise<[number, number] | null> {
  if (process.platform !== 'linux') return null;
  return parseRange(await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8'));
}

function parseRange(text: string): [number, number] | null {
  const [a, b] = text.trim().split(/\s+/).map(Number);
  return a !== undefined && b !== undefined && Number.isInteger(a) && Number.isInteger(b) ? [a, b] : null;
}

/**
 * Inside the namespace, before anything listens: loopback up, the port
 * range, no loopback TIME_WAIT reuse. Returns the range in force. Throws
 * with `step` naming what failed.
 */
export function setUpNamespace(range: [number, number] | null): [number, number] | null {
  const step = (what: string, f: () => void) => {
    try {
      f();
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
      const said = e.stderr?.toString().trim();
      throw Object.assign(new Error(`${what}: ${said || e.message}`), { code: e.code });
    }
  };
  step('ip link set lo up', () => execFileSync('ip', ['link', 'set', 'lo', 'up'], { stdio: ['ignore', 'ignore', 'pipe'] }));
  if (range !== null)
    step(`ip_local_port_range ${range[0]} ${range[1]}`, () =>
      writeFileSync('/proc/sys/net/ipv4/ip_local_port_range', `${range[0]} ${range[1]}`),
    );
  step('tcp_tw_reuse 0', () => writeFileSync('/proc/sys/net/ipv4/tcp_tw_reuse', '0'));
  return parseRange(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8'));
}

function asLabError(e: { code?: string; message: string; details?: LabErrorDetails }, name: string): LabError {
  if (e.code !== undefined && e.code in ERROR_CODES) return new LabError(e.code as LabErrorCode, e.message, e.details ?? {});
  return new LabError('LAB_ERR_RUN_FAILED', `${name}: the run in its network namespace failed: ${e.message}`);
}

/** The run's stream as the child tells it: the events the runner emits (RunEvent['type']). */
const PROGRESS_TYPES = new Set<string>(['start', 'ready', 'tick', 'event', 'request', 'end']);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A line of the child's stdout as the protocol has it, or null. */
function protocolLine(v: unknown): NamespaceLine | null {
  if (!isObject(v)) return null;
  const keys = Object.keys(v);
  if (keys.length !== 1) return null;
  const { progress, result } = v;
  if (keys[0] === 'progress' && isObject(progress) && PROGRESS_TYPES.has(String(progress.type)) && typeof progress.t === 'number')
    return { progress: progress as unknown as RunEvent };
  if (
    keys[0] === 'result' &&
    isObject(result) &&
    (result.ok === true ? isObject(result.doc) : result.ok === false && isObject(result.error))
  )
    return { result: result as unknown as NamespaceReply };
  return null;
}

/** Spawns the child in its namespace and talks to it (talkToChild). */
function inChild(req: NamespaceRequest, name: string, onProgress?: (p: RunEvent) => void): Promise<NamespaceReply> {
  const child = spawn('unshare', ['-rn', '--', process.execPath, ...LOADER, ENTRY], { stdio: ['pipe', 'pipe', 'pipe'] });
  return talkToChild(child, req, name, onProgress);
}

/**
 * Hands the child the request and reads its stdout line by line as it comes: each `progress`
 * goes to the listener at once, the `result` is returned once the child is gone. A line off the
 * protocol (or a listener that throws) kills the child and fails the run. Exported for the tests,
 * which play the child.
 */
export async function talkToChild(
  child: ChildProcessWithoutNullStreams,
  req: NamespaceRequest,
  name: string,
  onProgress?: (p: RunEvent) => void,
): Promise<NamespaceReply> {
  let tail = '';
  let reply: NamespaceReply | null = null;
  let failed: { error: unknown } | null = null;
  let lineNo = 0;
  /** The line being received: the bytes after the last newline so far. */
  let partial: Buffer[] = [];
  const fail = (error: unknown): void => {
    failed ??= { error };
    child.stdout.destroy();
    child.kill('SIGKILL');
  };
  const onLine = (text: string): void => {
    lineNo++;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON: said below.
    }
    const line = protocolLine(parsed);
    const off =
      parsed === undefined
        ? 'a line that is not JSON'
        : line === null
          ? 'a line that is not its protocol'
          : reply !== null
            ? 'a line after its result'
            : null;
    if (off !== null || line === null) {
      const shown = text.length > 200 ? `${text.slice(0, 200)}… (${text.length} characters)` : text;
      fail(
        new LabError(
          'LAB_ERR_RUN_FAILED',
          `${name}: the run in its network namespace wrote ${off} on stdout (line ${lineNo}), ` +
            `where only {"progress": …} and {"result": …} lines belong: ${JSON.stringify(shown)}`,
        ),
      );
    } else if ('result' in line) reply = line.result;
    else if (onProgress)
      try {
        onProgress(line.progress);
      } catch (err) {
        fail(err);
      }
  };
  child.stdout.on('data', (b: Buffer) => {
    let from = 0;
    for (let nl = b.indexOf(10); nl !== -1 && failed === null; nl = b.indexOf(10, from)) {
      partial.push(b.subarray(from, nl));
      const text = Buffer.concat(partial).toString('utf8');
      partial = [];
      from = nl + 1;
      onLine(text);
    }
    if (failed === null && from < b.length) partial.push(Buffer.from(b.subarray(from)));
  });
  child.stderr.on('data', (b: Buffer) => {
    process.stderr.write(b);
    tail = (tail + b.toString()).slice(-2000);
  });
  // A child that dies before reading all of it closes the pipe: EPIPE here, its exit code says the rest.
  child.stdin.on('error', () => {});
  child.stdin.end(JSON.stringify(req));
  const ended = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error: Error | null }>((resolve) => {
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
    child.once('close', (code, signal) => resolve({ code, signal, error: null }));
  });
  if (ended.error !== null)
    throw new LabError(
      'LAB_ERR_RUN_FAILED',
      `${name}: could not start its network namespace: ${ended.error.message}`,
      {},
      { cause: ended.error },
    );
  if (failed !== null) throw (failed as { error: unknown }).error;
  const how = ended.signal !== null ? `killed by ${ended.signal}` : `exit code ${ended.code}`;
  const said = tail.trim() ? `: ${tail.trim().split('\n').slice(-3).join(' | ')}` : '';
  if (partial.length > 0) {
    const bytes = partial.reduce((n, b) => n + b.length, 0);
    throw new LabError(
      'LAB_ERR_RUN_FAILED',
      `${name}: the run in its network namespace ended (${how}) in the middle of a line: ${bytes} bytes on stdout after its last newline${said}`,
    );
  }
  if (reply !== null) return reply;
  throw new LabError('LAB_ERR_RUN_FAILED', `${name}: the run in its network namespace ended without a result (${how})${said}`);
}

/** A command's exit code and stderr, or why it could not start. */
function run(cmd: string, args: string[]): Promise<{ code: number | null; stderr: string; spawnError: string | null }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.once('error', (err: NodeJS.ErrnoException) => resolve({ code: null, stderr, spawnError: err.code ?? err.message }));
    child.once('close', (code) => resolve({ code, stderr, spawnError: null }));
  });
}
