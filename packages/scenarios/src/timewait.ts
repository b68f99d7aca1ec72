import { readFile } from 'node:fs/promises';

const TIME_WAIT = '06'; // state column of /proc/net/tcp (include/net/tcp_states.h)

/** Where the run's servers listen: what tells one side's TIME_WAIT socket from another's. */
export interface TimeWaitPorts {
  /** Every origin's listen port. */
  originPorts: number[];
  /** The first proxy's listen port (where the client connects); null for a direct run. */
  proxyPort: number | null;
}

/**
 * Sockets in TIME_WAIT after a run, by the side that holds them: the side
 * that closed a connection first keeps its end for 60 s on Linux.
 *
 *   client ──► proxyClient │ proxy │ proxyUpstream ──► origin
 *
 * - `origin`: local port is an origin's (the origin closed first);
 * - `proxyUpstream`: peer port is an origin's, behind a proxy (the last
 *   proxy of a chain closed its upstream connection first);
 * - `proxyClient`: local port is the first proxy's listen port;
 * - `client`: peer port is the first proxy's listen port, or an origin's
 *   when the run is direct.
 *
 * `total` is what `timeWait` has always counted: an origin port at either
 * end (`origin` + `proxyUpstream`, or `origin` + `client` when direct). The
 * connections between two proxies of a chain are in no side.
 */
export interface TimeWaitCounts {
  total: number;
  origin: number;
  proxyUpstream: number;
  proxyClient: number;
  client: number;
}

/** The TIME_WAIT sockets there were before a run, each with its timer: see countTimeWait. */
export type TimeWaitSnapshot = Map<string, number>;

interface TimeWaitSocket {
  /** `file local remote`, as /proc writes them: one per 4-tuple. */
  key: string;
  local: number;
  remote: number;
  /** Clock ticks left on its timer (counts down; a fresh TIME_WAIT has the most). */
  left: number;
}

/** Every socket in TIME_WAIT, from /proc/net/tcp{,6}. */
async function timeWaitSockets(): Promise<TimeWaitSocket[]> {
  const out: TimeWaitSocket[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // no IPv6 table on this kernel
      throw err;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] !== TIME_WAIT) continue;
      out.push({
        key: `${file} ${cols[1]} ${cols[2]}`,
        local: parseInt(cols[1]?.split(':')[1] ?? '', 16),
        remote: parseInt(cols[2]?.split(':')[1] ?? '', 16),
        left: parseInt(cols[5]?.split(':')[1] ?? '0', 16), // tr:tm->when
      });
    }
  }
  return out;
}

/**
 * The TIME_WAIT sockets on `ports` before the run: countTimeWait leaves
 * them out. A port can be handed out again while an earlier connection on
 * it still waits out its 60 s (a variant's servers listening where the
 * previous variant's did, in a namespace of 200 ports quite often). Null off
 * Linux.
 */
export async function snapshotTimeWait(ports: TimeWaitPorts): Promise<TimeWaitSnapshot | null> {
  if (process.platform !== 'linux') return null;
  const mine = portsOf(ports);
  return new Map((await timeWaitSockets()).filter((t) => mine.has(t.local) || mine.has(t.remote)).map((t) => [t.key, t.left]));
}

const portsOf = (p: TimeWaitPorts): Set<number> => new Set([...p.originPorts, ...(p.proxyPort === null ? [] : [p.proxyPort])]);

/**
 * Counts from /proc/net/tcp{,6}, by port: sockets of anything else on the
 * machine that use the same ports would count too (in a network namespace
 * of the run's own there is nothing else). A socket of `before` counts only
 * if its timer started again since (a new connection on the same 4-tuple).
 * Linux only: elsewhere null, and the metrics are left out rather than
 * reported as 0.
 */
export async function countTimeWait(ports: TimeWaitPorts, before: TimeWaitSnapshot | null = null): Promise<TimeWaitCounts | null> {
  if (process.platform !== 'linux' || ports.originPorts.length === 0) return null;
  const origins = new Set(ports.originPorts);
  const proxy = ports.proxyPort;
  const n: TimeWaitCounts = { total: 0, origin: 0, proxyUpstream: 0, proxyClient: 0, client: 0 };
  for (const { key, local, remote, left } of await timeWaitSockets()) {
    const earlier = before?.get(key);
    if (earlier !== undefined && left <= earlier) continue; // the same socket as before the run
    if (origins.has(local)) n.origin++;
    else if (origins.has(remote)) {
      if (proxy === null) n.client++;
      else n.proxyUpstream++;
    } else if (proxy !== null && local === proxy) n.proxyClient++;
    else if (proxy !== null && remote === proxy) n.client++;
    if (origins.has(local) || origins.has(remote)) n.total++;
  }
  return n;
}
