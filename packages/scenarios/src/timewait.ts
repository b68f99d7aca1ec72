import { readFile } from 'node:fs/promises';

const TIME_WAIT = '06'; // state column of /proc/net/tcp (include/net/tcp_states.h)

/**
 * Sockets in TIME_WAIT whose local or remote port is one of `ports`, read
 * from /proc/net/tcp{,6}. Linux only: elsewhere null, and the metric is
 * left out rather than reported as 0.
 */
export async function countTimeWait(ports: number[]): Promise<number | null> {
  if (process.platform !== 'linux' || ports.length === 0) return null;
  const wanted = new Set(ports);
  let n = 0;
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
      const local = parseInt(cols[1]?.split(':')[1] ?? '', 16);
      const remote = parseInt(cols[2]?.split(':')[1] ?? '', 16);
      if (wanted.has(local) || wanted.has(remote)) n++;
    }
  }
  return n;
}
