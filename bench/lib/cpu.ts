import { readdirSync, readFileSync } from 'node:fs';

/** Kernel clock ticks per second for /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** /proc/<pid>/stat's fields after the command name, or null when the process is gone. */
function statFields(pid: number): string[] | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ESRCH') return null; // exited
    throw err;
  }
  // Fields after the command name (which may hold spaces) start after the last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/**
 * CPU time (user + system, µs) a process has used so far, from
 * /proc/<pid>/stat; null off Linux. The server's CPU per request is far
 * steadier than req/s on a shared 2-core machine: other work slows a
 * server down but hardly changes what each request costs it.
 */
export function cpuMicros(pid: number | undefined): number | null {
  if (pid === undefined || process.platform !== 'linux') return null;
  const fields = statFields(pid);
  if (fields === null) return null;
  return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / TICKS_PER_SECOND;
}

/** A process's live children, from every thread's /proc children list. */
function childrenOf(pid: number): number[] {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const kids: number[] = [];
  for (const tid of tids) {
    try {
      for (const k of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ')) if (k !== '') kids.push(Number(k));
    } catch {
      // The thread ended meanwhile.
    }
  }
  return kids;
}

/**
 * CPU time (µs) of a process and all its live descendants: a real proxy
 * (nginx, HAProxy) runs as a grandchild of the bench's server child, which
 * only relays its port, so the proxy's own work is only seen this way.
 * Read around a round, the difference is that round's CPU as long as no
 * process of the tree exits in between (none does while it serves).
 */
export function treeCpuMicros(pid: number | undefined): number | null {
  const own = cpuMicros(pid);
  if (own === null || pid === undefined) return own;
  let total = own;
  for (const kid of childrenOf(pid)) total += treeCpuMicros(kid) ?? 0;
  return total;
}
