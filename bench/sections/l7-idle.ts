import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { L7Stats } from '@keepalive-lab/proxies';
import type { Goal, SectionResult } from '../lib/measurement.js';
import { startServerChild } from '../lib/server-child.js';

/** Issue 4: this many idle keep-alive client connections held under RSS_GOAL. */
const IDLE = 5000;
const RSS_GOAL = 200 * 1024 * 1024;
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
const MB = 1024 * 1024;
const REQUEST = 'GET /idle HTTP/1.1\r\nHost: bench\r\n\r\n';

interface StatsReply {
  rss: number;
  stats: L7Stats;
}

const ENTRY = fileURLToPath(new URL('../lib/server-entry.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The soft open-files limit of this process (children inherit it); null if /proc does not say. */
function openFilesLimit(): number | null {
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  if (m === null) return null;
  return m[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(m[1]);
}

/** The l7 child with an IPC channel: `stats` asks for its RSS (after a GC) and L7Stats. */
async function startL7Child(originPort: string): Promise<{ child: ChildProcess; port: number; stats: () => Promise<StatsReply> }> {
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', ENTRY, `l7@${originPort}`], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'inherit', 'ipc'],
  });
  if (child.stdout === null) throw new Error('l7 child has no stdout');
  const lines = createInterface({ input: child.stdout });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`l7 child exited with ${String(code)} before listening`);
  });
  const [line] = (await Promise.race([once(lines, 'line'), exited])) as [string];
  lines.close();
  const port = (JSON.parse(line) as { port: number }).port;
  const stats = async (): Promise<StatsReply> => {
    const reply = once(child, 'message');
    child.send('stats');
    const [msg] = (await reply) as [StatsReply];
    return msg;
  };
  return { child, port, stats };
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
 * Issue 4: 5,000 idle keep-alive client connections held by `lab proxy l7`
 * (a child process, in front of the lab origin in another), its RSS then,
 * and after they all close: the proxy's open client count back to 0.
 */
export async function l7IdleSection(): Promise<SectionResult> {
  const title = `L7 proxy: ${IDLE.toLocaleString('en-US')} idle keep-alive client connections`;
  const limit = openFilesLimit();
  if (limit !== null && limit < IDLE + FD_SLACK) {
    return {
      title,
      note: `skipped: the open-files limit is ${limit}; this section holds ${IDLE} sockets in this process and ${IDLE} in the proxy's`,
      rows: [],
      goals: [],
      lines: [`raise it in the shell first, e.g. \`ulimit -n ${IDLE * 2}\`, then run \`pnpm bench l7\``],
    };
  }
  const origin = await startServerChild('lab');
  const held: Socket[] = [];
  let l7: Awaited<ReturnType<typeof startL7Child>> | null = null;
  try {
    const proxy = await startL7Child(new URL(origin.url).port);
    l7 = proxy;
    const before = await proxy.stats();
    const t0 = performance.now();
    let failed = 0;
    while (held.length < IDLE && performance.now() - t0 < DEADLINE_MS) {
      const n = Math.min(BATCH, IDLE - held.length);
      const batch = await Promise.allSettled(Array.from({ length: n }, () => openIdle(proxy.port)));
      for (const r of batch) {
        if (r.status === 'fulfilled') held.push(r.value);
        else failed++;
      }
      if (failed > IDLE / 10) break; // something is wrong; the figures below say what was reached
    }
    const openMs = performance.now() - t0;
    const holding = await proxy.stats();
    const t1 = performance.now();
    for (const s of held) s.destroy();
    // The proxy sees each close a moment later: poll its count, bounded.
    let after = await proxy.stats();
    while (after.stats.openClientConnections > 0 && performance.now() - t1 < 5000) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      after = await proxy.stats();
    }
    const releaseMs = performance.now() - t1;
    const perConn = held.length === 0 ? 0 : (holding.rss - before.rss) / held.length;
    const goals: Goal[] = [
      {
        label: `proxy RSS holding ${held.length}`,
        value: holding.rss,
        op: '<=',
        target: RSS_GOAL,
        unit: 'MB',
        judged: held.length === IDLE,
      },
      {
        label: 'client connections open after all closed',
        value: after.stats.openClientConnections,
        op: '<=',
        target: 0,
        unit: 'n',
        judged: true,
      },
    ];
    return {
      title,
      note: `lab origin and l7 proxy in child processes; opened in batches of ${BATCH}, one GET each, then left idle; RSS after a forced GC`,
      rows: [],
      goals,
      lines: [
        `opened ${held.length}/${IDLE} in ${(openMs / 1000).toFixed(1)} s (${failed} failed); ` +
          `proxy reports ${holding.stats.openClientConnections} open, ${holding.stats.openUpstreamSockets} upstream sockets`,
        `RSS: ${(before.rss / MB).toFixed(1)} MB before, ${(holding.rss / MB).toFixed(1)} MB holding them ` +
          `(+${(perConn / 1024).toFixed(1)} KB each), ${(after.rss / MB).toFixed(1)} MB after they closed`,
        `after close: ${after.stats.openClientConnections} client connections open ` +
          `(${(releaseMs / 1000).toFixed(2)} s to drain), ${after.stats.openUpstreamSockets} upstream sockets`,
      ],
    };
  } finally {
    for (const s of held) s.destroy();
    const child = l7?.child;
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    }
    await origin.stop();
  }
}
