import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** Servers under test run in a child process, so the load generator and the server do not share one core. */
export interface ServerChild {
  url: string;
  port: number;
  pid: number | undefined;
  /** With `ipc`: the child's memory after a forced GC, and a lab proxy's counters. */
  stats(): Promise<ChildStats>;
  stop(): Promise<void>;
}

export interface ChildStats {
  rss: number;
  heapUsed: number;
  /** V8's heap as reserved (used or not): the part of RSS the JS heap holds. */
  heapTotal: number;
  /** Memory outside the JS heap that JS objects hold (Buffers, sockets' native parts). */
  external: number;
  /** L7Stats for the lab's L7 proxies; { openSockets } for pipe-l4; null otherwise. */
  stats: unknown;
}

export interface ChildOptions {
  /** An IPC channel for stats(); the child runs with --expose-gc so RSS is read after a full collection. */
  ipc?: boolean;
  /** More node flags for the child (`--cpu-prof`, ...). */
  execArgv?: string[];
  /** Each line the child prints after its listening line (else they are read and dropped). */
  onLine?: (line: string) => void;
}

const ENTRY = fileURLToPath(new URL('./server-entry.ts', import.meta.url));
const LAB = fileURLToPath(new URL('../../packages/cli/bin/lab.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Kinds that are a `lab` command as a user runs it (compiled, no tsx), not a
 * server-entry kind: `lab-cli` is `lab origin`, which prints its listening
 * line and then a line per request, read and dropped (a pipe, as `lab origin
 * | tee` or a terminal); `lab-cli-fast` the same with `--engine fast`; `lab-proxy:<kind>@PORT` is `lab proxy <kind> --json`
 * in front of 127.0.0.1:PORT, its events for `onLine`.
 */
function labCommand(kind: string): string[] | null {
  if (kind === 'lab-cli') return [LAB, 'origin', '--listen', '127.0.0.1:0'];
  if (kind === 'lab-cli-fast') return [LAB, 'origin', '--listen', '127.0.0.1:0', '--engine', 'fast'];
  const proxy = /^lab-proxy:([a-z0-9-]+)@(\d+)$/.exec(kind);
  if (proxy === null) return null;
  return [LAB, 'proxy', proxy[1] ?? '', '--target', `127.0.0.1:${proxy[2]}`, '--listen', '127.0.0.1:0', '--json'];
}

/** Starts `kind` (see server-entry.ts, or labCommand) and resolves once it says its port. */
export async function startServerChild(kind: string, options: ChildOptions = {}): Promise<ServerChild> {
  const node = [...(options.ipc ? ['--expose-gc'] : []), ...(options.execArgv ?? [])];
  const args = labCommand(kind) ?? ['--import', 'tsx', ENTRY, kind];
  // `--import tsx` is resolved from the repo root, where tsx is a dev dependency.
  const child = spawn(process.execPath, [...node, ...args], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'inherit', ...(options.ipc ? (['ipc'] as const) : [])],
  });
  const port = await firstLine(child, options.onLine);
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    pid: child.pid,
    async stats() {
      if (!options.ipc) throw new Error(`${kind}: started without ipc`);
      const reply = once(child, 'message');
      child.send('stats');
      const [msg] = (await reply) as [ChildStats];
      return msg;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** `{"port":N}` (server-entry) or `listening on host:N ...` (`lab origin`). */
function portIn(line: string): number | null {
  if (line.startsWith('{')) {
    const port = (JSON.parse(line) as { port?: unknown }).port;
    return typeof port === 'number' ? port : null;
  }
  const m = /^listening on [^ ]*:(\d+)/.exec(line);
  return m === null ? null : Number(m[1]);
}

async function firstLine(child: ChildProcess, onLine: ((line: string) => void) | undefined): Promise<number> {
  const out = child.stdout;
  if (out === null) throw new Error('server child has no stdout');
  const lines = createInterface({ input: out });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`server child exited with ${String(code)} before listening`);
  });
  const line = once(lines, 'line').then(([l]) => String(l));
  const text = await Promise.race([line, exited]);
  if (onLine !== undefined) lines.on('line', onLine);
  else {
    lines.close();
    // Whatever it prints next (`lab origin`'s line per request) is read and dropped: a full pipe would block its writes.
    out.resume();
  }
  const port = portIn(text);
  if (port === null) throw new Error(`server child said ${text}, expected {"port":N} or "listening on host:port"`);
  return port;
}
