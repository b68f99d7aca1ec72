import { readdir, readFile, readlink } from 'node:fs/promises';

/** The st column of /proc/net/tcp (include/net/tcp_states.h), by name. */
const TCP_STATES: Record<string, string> = {
  '01': 'ESTABLISHED',
  '02': 'SYN_SENT',
  '03': 'SYN_RECV',
  '04': 'FIN_WAIT1',
  '05': 'FIN_WAIT2',
  '06': 'TIME_WAIT',
  '07': 'CLOSE',
  '08': 'CLOSE_WAIT',
  '09': 'LAST_ACK',
  '0A': 'LISTEN',
  '0B': 'CLOSING',
};

/** What a process holds, as the kernel sees it (Linux /proc): its own, since each server runs in a child. */
export interface ProcSample {
  /** VmRSS, bytes. */
  rss: number;
  /** Entries of /proc/<pid>/fd. */
  fds: number;
  /** Its TCP sockets by state name (ESTABLISHED, CLOSE_WAIT, LISTEN...); sockets of other kinds are fds only. */
  tcp: Record<string, number>;
  /** Connections the kernel has completed and the process has not accept()ed yet, over its listening sockets. */
  acceptQueue: number;
}

/** The socket inodes among a process's fds (`socket:[12345]`). */
async function socketInodes(pid: number): Promise<{ fds: number; inodes: Set<string> }> {
  const names = await readdir(`/proc/${pid}/fd`);
  const inodes = new Set<string>();
  await Promise.all(
    names.map(async (n) => {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(await readlink(`/proc/${pid}/fd/${n}`));
        if (m?.[1] !== undefined) inodes.add(m[1]);
      } catch {
        // Closed between readdir and readlink: it is gone, not held.
      }
    }),
  );
  return { fds: names.length, inodes };
}

/** States of the TCP sockets whose inode is in `inodes`, from /proc/net/tcp and tcp6. */
async function tcpStates(inodes: Set<string>): Promise<{ tcp: Record<string, number>; acceptQueue: number }> {
  const out: Record<string, number> = {};
  let acceptQueue = 0;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = await readFile(table, 'latin1');
    } catch {
      continue; // no IPv6 table on this kernel
    }
    // Columns: sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
    for (const line of text.split('\n')) {
      const cols = line.trim().split(/\s+/);
      const inode = cols[9];
      if (inode === undefined || !inodes.has(inode)) continue;
      const state = TCP_STATES[cols[3] ?? ''] ?? `st${cols[3]}`;
      out[state] = (out[state] ?? 0) + 1;
      // On a listening socket rx_queue (tx:rx, hex) is the accept queue's length.
      if (state === 'LISTEN') acceptQueue += Number.parseInt((cols[4] ?? ':0').split(':')[1] ?? '0', 16);
    }
  }
  return { tcp: out, acceptQueue };
}

/** RSS, fd count and TCP sockets by state of `pid`; throws if the process is gone. */
export async function sampleProcess(pid: number): Promise<ProcSample> {
  const status = await readFile(`/proc/${pid}/status`, 'latin1');
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
  const { fds, inodes } = await socketInodes(pid);
  return { rss: Number(kb ?? 0) * 1024, fds, ...(await tcpStates(inodes)) };
}
