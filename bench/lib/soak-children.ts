import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const LAB_BIN = fileURLToPath(new URL('../../packages/cli/bin/lab.js', import.meta.url));
const ORIGIN_ENTRY = fileURLToPath(new URL('./soak-origin-entry.ts', import.meta.url));
const GC_HOOK = pathToFileURL(fileURLToPath(new URL('./soak-gc-hook.ts', import.meta.url))).href;

/** Idle timeouts, short so that every idle socket closes within the settle period. */
export const SOAK_TIMEOUTS = { clientKeepAlive: '2s', poolIdle: '2s', header: '5s', originKeepAliveMs: 2000 } as const;

/** Every child started, so that an exit of the soak (even a crash) takes none of them along as orphans. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

function track(child: ChildProcess): ChildProcess {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

const hasExited = (c: ChildProcess): boolean => c.exitCode !== null || c.signalCode !== null;

/** The first stdout line of a child, parsed; throws if it exits first or says nothing for 20 s. */
async function firstDoc(child: ChildProcess, what: string): Promise<Record<string, unknown>> {
  if (child.stdout === null) throw new Error(`${what} has no stdout`);
  const lines = createInterface({ input: child.stdout });
  const line = once(lines, 'line').then(([l]) => String(l));
  const exited = once(child, 'exit').then(([code]) => `exited with ${String(code)}`);
  const timeout = new Promise<string>((resolve) => setTimeout(resolve, 20_000, 'timed out').unref());
  const first = await Promise.race([line, exited, timeout]);
  lines.close();
  if (!first.startsWith('{')) throw new Error(`${what}: ${first} before listening`);
  return JSON.parse(first) as Record<string, unknown>;
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (hasExited(child)) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

export interface OriginChild {
  port: number;
  pid: number;
  /** SIGTERM: the origin closes gracefully; SIGKILL: a crash, the kernel closes its sockets. */
  stop(signal: NodeJS.Signals): Promise<void>;
}

/** 'in-use' when the port is taken (the caller picks another, or waits and tries again). */
async function tryOrigin(port: number, bodyBytes: number): Promise<OriginChild | 'in-use'> {
  const args = ['--import', 'tsx', ORIGIN_ENTRY, String(port), String(SOAK_TIMEOUTS.originKeepAliveMs), String(bodyBytes)];
  const child = track(spawn(process.execPath, args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] }));
  const doc = await firstDoc(child, 'origin');
  if (doc.error === 'EADDRINUSE') {
    await stopChild(child, 'SIGKILL');
    return 'in-use';
  }
  if (typeof doc.port !== 'number' || child.pid === undefined) throw new Error(`origin said ${JSON.stringify(doc)}`);
  child.stdout?.resume();
  return { port: doc.port, pid: child.pid, stop: (signal) => stopChild(child, signal) };
}

/** Below the kernel's ephemeral range: no outgoing connection can take the origin's port while it is down. */
function portBelowEphemeral(): number {
  let low = 32768;
  try {
    low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || low;
  } catch {
    // not Linux: keep the common default
  }
  const from = Math.max(1024, low - 12_000);
  return from + Math.floor(Math.random() * (low - from));
}

/** The origin on a fixed port of its own, so that restarts come back where the proxy points. */
export async function startOrigin(bodyBytes: number): Promise<OriginChild> {
  for (let i = 0; i < 20; i++) {
    const o = await tryOrigin(portBelowEphemeral(), bodyBytes);
    if (o !== 'in-use') return o;
  }
  throw new Error('no free port for the origin after 20 tries');
}

/** The origin again on `port`; the port can stay taken briefly (a SIGKILLed listener), so try for up to 10 s. */
export async function restartOrigin(port: number, bodyBytes: number): Promise<OriginChild> {
  const until = Date.now() + 10_000;
  for (;;) {
    const o = await tryOrigin(port, bodyBytes);
    if (o !== 'in-use') return o;
    if (Date.now() > until) throw new Error(`origin port ${port} still in use after 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** What `lab proxy --json` printed, counted: the proxy's own view of its connections. */
export interface ProxyEventCounts {
  clientOpen: number;
  clientClose: number;
  upstreamOpen: number;
  upstreamClose: number;
  forward: number;
  reject: number;
  /** `reject` by status and why, e.g. `502 upstream-refused`. */
  rejects: Record<string, number>;
  /** `upstream-close` by reason. */
  upstreamCloseReasons: Record<string, number>;
}

export interface HeapFigures {
  gc: boolean;
  /** The proxy's event-loop delay since the previous gc() (ms): how long it was kept from reacting. */
  loopDelayMs: { p50: number; p99: number; max: number };
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

export interface ProxyChild {
  port: number;
  pid: number;
  events: ProxyEventCounts;
  /** Set once the child exits on its own (a crash: the verdict fails). */
  exitedEarly: () => string | null;
  /** A full GC in the child (--expose-gc, soak-gc-hook.ts), then its memoryUsage(). */
  gc(): Promise<HeapFigures>;
  stop(): Promise<void>;
}

function countEvent(e: ProxyEventCounts, line: string): void {
  // The hot events are told apart by their prefix; only the rare ones are parsed for their fields.
  if (line.startsWith('{"event":"forward"')) e.forward++;
  else if (line.startsWith('{"event":"client-open"')) e.clientOpen++;
  else if (line.startsWith('{"event":"client-close"')) e.clientClose++;
  else if (line.startsWith('{"event":"upstream-open"')) e.upstreamOpen++;
  else if (line.startsWith('{"event":"upstream-close"')) {
    e.upstreamClose++;
    const reason = String((JSON.parse(line) as { reason?: unknown }).reason);
    e.upstreamCloseReasons[reason] = (e.upstreamCloseReasons[reason] ?? 0) + 1;
  } else if (line.startsWith('{"event":"reject"')) {
    e.reject++;
    const r = JSON.parse(line) as { status?: unknown; why?: unknown };
    const key = `${String(r.status)} ${String(r.why)}`;
    e.rejects[key] = (e.rejects[key] ?? 0) + 1;
  }
}

/**
 * `lab proxy <engine> --json` as a child process, as a user runs it: its RSS and fds are its own. Its event
 * lines are read and counted (stdout to a pipe is synchronous in node on Linux, so nothing piles up in it).
 */
export async function startProxy(engine: string, originPort: number): Promise<ProxyChild> {
  const args = [
    '--expose-gc',
    '--import',
    'tsx',
    '--import',
    GC_HOOK,
    LAB_BIN,
    'proxy',
    engine,
    '--listen',
    '127.0.0.1:0',
    '--target',
    `127.0.0.1:${originPort}`,
    '--json',
    '--client-keep-alive-timeout',
    SOAK_TIMEOUTS.clientKeepAlive,
    '--pool-idle-timeout',
    SOAK_TIMEOUTS.poolIdle,
    '--header-timeout',
    SOAK_TIMEOUTS.header,
  ];
  const child = track(spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] }));
  const doc = await firstDoc(child, `lab proxy ${engine}`);
  if (typeof doc.port !== 'number' || child.pid === undefined || child.stdout === null)
    throw new Error(`lab proxy said ${JSON.stringify(doc)}`);
  const events: ProxyEventCounts = {
    clientOpen: 0,
    clientClose: 0,
    upstreamOpen: 0,
    upstreamClose: 0,
    forward: 0,
    reject: 0,
    rejects: {},
    upstreamCloseReasons: {},
  };
  createInterface({ input: child.stdout }).on('line', (line) => countEvent(events, line));
  let stopping = false;
  let early: string | null = null;
  child.once('exit', (code, signal) => {
    if (!stopping) early = `lab proxy ${engine} exited on its own (${signal ?? `code ${String(code)}`})`;
  });
  return {
    port: doc.port,
    pid: child.pid,
    events,
    exitedEarly: () => early,
    async gc() {
      const reply = once(child, 'message');
      child.send('soak:gc');
      const [msg] = (await reply) as [HeapFigures];
      return msg;
    },
    async stop() {
      stopping = true;
      await stopChild(child, 'SIGTERM');
    },
  };
}
