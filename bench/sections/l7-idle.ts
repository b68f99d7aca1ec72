import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { connect, type Socket } from 'node:net';
import type { Goal, SectionResult } from '../lib/measurement.js';
import { startServerChild, type ServerChild } from '../lib/server-child.js';
import { sampleProcess } from '../lib/soak-proc.js';

/** Issues 4 and 12: this many idle keep-alive client connections held under the engine's RSS goal. */
const IDLE = 5000;
const MB = 1024 * 1024;
/**
 * Connections opened at once. The proxy's listen backlog is node's default
 * 511: a batch well under it never has a SYN dropped (a dropped SYN costs a
 * 1 s retransmit, and the section would measure that instead).
 */
const BATCH = 250;
/** The whole section gives up past this (ms), reporting what it reached. */
const DEADLINE_MS = 30_000;
/** fds beyond the held sockets: the child's own, stdio, the upstream pool. */
const FD_SLACK = 200;
const REQUEST = 'GET /idle HTTP/1.1\r\nHost: bench\r\n\r\n';

/** The soft open-files limit of this process (children inherit it); null if /proc does not say. */
function openFilesLimit(): number | null {
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  if (m === null) return null;
  return m[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(m[1]);
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * RSS (MB) of a node process that does nothing, alone and with tsx's loader
 * (which the bench's own children run under, and `lab` did before it ran
 * compiled: its hooks thread is a second V8 isolate): the part of a
 * process's RSS no connection is in.
 */
function idleNodeRss(): { bare: number; tsx: number } {
  const rss = (flags: string[]): number => {
    const r = spawnSync(process.execPath, [...flags, '-e', 'process.stdout.write(String(process.memoryUsage().rss))'], {
      cwd: ROOT,
      timeout: 10_000,
    });
    return Number(r.stdout.toString()) / MB;
  };
  return { bare: rss([]), tsx: rss(['--import', 'tsx']) };
}

/** One connection that has sent one request and read its whole 200 response: now idle, keep-alive. */
function openIdle(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: '127.0.0.1', port });
    let buf = '';
    const fail = (err: Error) => {
      sock.destroy();
      reject(err);
    };
    sock.once('error', fail);
    sock.once('connect', () => sock.write(REQUEST));
    sock.setEncoding('latin1');
    const onData = (chunk: string) => {
      buf += chunk;
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const len = /\r\ncontent-length:\s*(\d+)/i.exec(buf.slice(0, end));
      if (len === null) return fail(new Error(`no content-length in ${buf.slice(0, end)}`));
      if (buf.length < end + 4 + Number(len[1])) return;
      sock.off('data', onData);
      sock.off('error', fail);
      // Held open from here on; a later error (the proxy closing it) is what the count after shows.
      sock.on('error', () => sock.destroy());
      if (!buf.startsWith('HTTP/1.1 200')) return fail(new Error(`status line ${buf.slice(0, buf.indexOf('\r\n'))}`));
      resolve(sock);
    };
    sock.on('data', onData);
  });
}

/**
 * 5,000 idle keep-alive client connections held by one of the lab's L7
 * engines (a child process, in front of the lab origin in another), its RSS
 * then, and after they all close: the proxy's open client count back to 0.
 * Issue 4 set l7's bound (200 MB), issue 12 l7-fast's (120 MB).
 */
async function idleSection(engine: 'l7' | 'l7-fast', rssGoal: number): Promise<SectionResult> {
  const title = `${engine} proxy: ${IDLE.toLocaleString('en-US')} idle keep-alive client connections`;
  const limit = openFilesLimit();
  if (limit !== null && limit < IDLE + FD_SLACK) {
    return {
      title,
      note: `skipped: the open-files limit is ${limit}; this section holds ${IDLE} sockets in this process and ${IDLE} in the proxy's`,
      rows: [],
      goals: [],
      lines: [
        `raise it in the shell first, e.g. \`ulimit -n ${IDLE * 2}\`, then run \`pnpm bench ${engine === 'l7' ? 'l7Idle' : 'l7FastIdle'}\``,
      ],
    };
  }
  const origin = await startServerChild('lab');
  const held: Socket[] = [];
  let proxy: ServerChild | null = null;
  // What the proxy holds, from its own events (`lab proxy --json`), as any of its users would count it.
  const open = { clients: 0, upstreams: 0 };
  const count = (line: string): void => {
    const e = (JSON.parse(line) as { event?: string }).event;
    if (e === 'client-open') open.clients++;
    else if (e === 'client-close') open.clients--;
    else if (e === 'upstream-open') open.upstreams++;
    else if (e === 'upstream-close') open.upstreams--;
  };
  try {
    proxy = await startServerChild(`lab-proxy:${engine}@${origin.port}`, { onLine: count });
    const pid = proxy.pid;
    if (pid === undefined) throw new Error(`lab proxy ${engine}: no pid`);
    await settle();
    const before = await sampleProcess(pid);
    const t0 = performance.now();
    let failed = 0;
    while (held.length < IDLE && performance.now() - t0 < DEADLINE_MS) {
      const n = Math.min(BATCH, IDLE - held.length);
      const port = proxy.port;
      const batch = await Promise.allSettled(Array.from({ length: n }, () => openIdle(port)));
      for (const r of batch) {
        if (r.status === 'fulfilled') held.push(r.value);
        else failed++;
      }
      if (failed > IDLE / 10) break; // something is wrong; the figures below say what was reached
    }
    const openMs = performance.now() - t0;
    await settle();
    const holding = { ...(await sampleProcess(pid)), ...open };
    const t1 = performance.now();
    for (const s of held) s.destroy();
    // The proxy sees each close a moment later: wait for its events, bounded.
    while (open.clients > 0 && performance.now() - t1 < 5000) await new Promise((resolve) => setTimeout(resolve, 50));
    const releaseMs = performance.now() - t1;
    const after = { ...(await sampleProcess(pid)), ...open };
    const idleNode = idleNodeRss();
    const perConn = held.length === 0 ? 0 : (holding.rss - before.rss) / held.length;
    const goals: Goal[] = [
      {
        label: `proxy RSS holding ${held.length}`,
        value: holding.rss,
        op: '<=',
        target: rssGoal,
        unit: 'MB',
        judged: held.length === IDLE,
      },
      {
        label: 'client connections open after all closed',
        value: after.clients,
        op: '<=',
        target: 0,
        unit: 'n',
        judged: true,
      },
    ];
    return {
      title,
      note:
        `\`lab proxy ${engine}\` (as a user runs it) and a lab origin in child processes; opened in batches of ${BATCH}, one GET each, ` +
        `then left idle; RSS as the kernel counts it (VmRSS, what top shows) ${SETTLE_MS / 1000} s later; open connections from the proxy's own events`,
      rows: [],
      goals,
      lines: [
        `opened ${held.length}/${IDLE} in ${(openMs / 1000).toFixed(1)} s (${failed} failed); ` +
          `the proxy's events say ${holding.clients} open, ${holding.upstreams} upstream sockets`,
        `RSS: ${(before.rss / MB).toFixed(1)} MB before, ${(holding.rss / MB).toFixed(1)} MB holding them ` +
          `(+${(perConn / 1024).toFixed(1)} KB each), ${(after.rss / MB).toFixed(1)} MB after they closed`,
        `after close: ${after.clients} client connections open (${(releaseMs / 1000).toFixed(2)} s to drain), ${after.upstreams} upstream sockets`,
        `for scale, a node process doing nothing: ${idleNode.bare.toFixed(1)} MB; ` +
          `with tsx's loader (how lab ran before it ran compiled): ${idleNode.tsx.toFixed(1)} MB`,
      ],
    };
  } finally {
    for (const s of held) s.destroy();
    await proxy?.stop();
    await origin.stop();
  }
}

/** Time for what the last burst left (garbage, buffers) to settle before RSS is read (ms). */
const SETTLE_MS = 2000;
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, SETTLE_MS));

export const l7IdleSection = (): Promise<SectionResult> => idleSection('l7', 200 * MB);
export const l7FastIdleSection = (): Promise<SectionResult> => idleSection('l7-fast', 120 * MB);
