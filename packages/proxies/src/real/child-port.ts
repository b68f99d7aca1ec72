import type { ChildProcess } from 'node:child_process';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import { LabError } from '@keepalive-lab/core';

/** Picks the port a child binds when its caller asked for port 0: freePort, or a test's stand-in. */
export type PortPicker = (host: string) => Promise<number>;

/**
 * A port the kernel just handed out and we released: nginx cannot listen on
 * port 0 and tell us which. Another process could take it in between; nginx
 * then fails to bind and exits (ChildProxy starts it again on a fresh port),
 * and waitAccepting does not take that process's listener for the child's.
 */
export async function freePort(host: string): Promise<number> {
  const s = createServer();
  s.listen(0, host);
  await once(s, 'listening');
  const a = s.address();
  s.close();
  await once(s, 'close');
  if (a === null || typeof a === 'string') throw new LabError('LAB_ERR_INTERNAL', `listening on ${String(a)} is not a TCP address`);
  return a.port;
}

/**
 * How each real peer says its port was taken: nginx `bind() ... failed (98:
 * Address already in use)`, haproxy `cannot bind socket (Address already in
 * use)`, caddy `bind: address already in use`, squid `commBind Cannot bind
 * socket ... (98) Address already in use`, varnish `Could not get socket ...:
 * Address already in use`, apache `(98)Address already in use: ... could not
 * bind`, node `listen EADDRINUSE`.
 */
const ADDRESS_IN_USE = /EADDRINUSE|address already in use|cannot bind/i;

/** Whether a child's output says its listening address was in use. */
export function saysAddressInUse(output: string): boolean {
  return ADDRESS_IN_USE.test(output);
}

const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

/**
 * The inodes of the sockets listening on `port`, read from the kernel's table
 * (Linux); null where there is none to read. Preferred to connecting: an L4
 * peer (haproxy-tcp) relays a probe connection to the origin, which would
 * count it.
 */
async function listeningInodes(port: number): Promise<Set<string> | null> {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = await readFile(table, 'latin1');
    } catch {
      // Not Linux (or no IPv6 table): the caller falls back to connecting.
      if (table === '/proc/net/tcp') return null;
      continue;
    }
    // Columns: sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...; st 0A is LISTEN.
    for (const line of text.split('\n')) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] === '0A' && (cols[1] ?? '').endsWith(hex) && cols[9] !== undefined) inodes.add(cols[9]);
    }
  }
  return inodes;
}

/** Parent pid from /proc/<pid>/stat; the command name (in parentheses) may hold spaces and parentheses, so read after the last `)`. */
function parentOf(stat: string): number | null {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ppid = Number(fields[1]);
  return Number.isInteger(ppid) ? ppid : null;
}

/** Direct children of `pid` from /proc/<pid>/task/<tid>/children; null where the kernel has no such file (CONFIG_PROC_CHILDREN off). */
async function childrenFromTasks(pid: number): Promise<number[] | null> {
  let tids: string[];
  try {
    tids = await readdir(`/proc/${pid}/task`);
  } catch {
    return []; // gone: no children to look at
  }
  const kids: number[] = [];
  for (const tid of tids) {
    let text: string;
    try {
      text = await readFile(`/proc/${pid}/task/${tid}/children`, 'latin1');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && tid === String(pid)) return null;
      continue; // a thread that ended meanwhile
    }
    for (const k of text.trim().split(/\s+/)) if (k !== '') kids.push(Number(k));
  }
  return kids;
}

/** Every process's parent, from /proc/<pid>/stat: where the children files are missing. */
async function parents(): Promise<Map<number, number[]>> {
  const byParent = new Map<number, number[]>();
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    // A process that exits between the listing and the read has no stat: skipped.
    const stat = await readFile(`/proc/${name}/stat`, 'latin1').catch(() => null);
    const ppid = stat === null ? null : parentOf(stat);
    if (ppid === null) continue;
    byParent.set(ppid, [...(byParent.get(ppid) ?? []), Number(name)]);
  }
  return byParent;
}

/** `pid` and its descendants (apache's workers, varnish's child), as far as /proc shows them. */
export async function processTree(pid: number): Promise<number[]> {
  const tree = [pid];
  let byParent: Map<number, number[]> | null = null;
  for (let i = 0; i < tree.length; i++) {
    const p = tree[i] as number;
    let kids = byParent === null ? await childrenFromTasks(p) : null;
    if (kids === null) {
      byParent ??= await parents();
      kids = byParent.get(p) ?? [];
    }
    for (const k of kids) if (!tree.includes(k)) tree.push(k);
  }
  return tree;
}

/**
 * The socket inodes open in `pids` (/proc/<pid>/fd → `socket:[inode]`);
 * `unreadable` when some process's fds could not be read (another user's
 * process), so a socket missing from the set may still be theirs.
 */
async function socketInodes(pids: number[]): Promise<{ inodes: Set<string>; unreadable: boolean }> {
  const inodes = new Set<string>();
  let unreadable = false;
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = await readdir(`/proc/${pid}/fd`);
    } catch (err) {
      // ENOENT: exited meanwhile, nothing of it to count.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') unreadable = true;
      continue;
    }
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (m?.[1] !== undefined) inodes.add(m[1]);
    }
  }
  return { inodes, unreadable };
}

/**
 * Whether the child (or a descendant) listens on `port`: a LISTEN socket in
 * the kernel's table whose inode is among the child's open sockets. Another
 * process's listener on the port does not count. null where the table cannot
 * be read (not Linux).
 */
export async function childListensOn(child: ChildProcess, port: number): Promise<boolean | null> {
  const listening = await listeningInodes(port);
  if (listening === null) return null;
  if (listening.size === 0 || child.pid === undefined) return false;
  const { inodes, unreadable } = await socketInodes(await processTree(child.pid));
  if ([...listening].some((i) => inodes.has(i))) return true;
  // Some of the tree hid its fds (a worker under another user): the table's word is all there is.
  return unreadable;
}

/** Listening, by the kernel's tables where there are some, else by one connect attempt. */
async function ready(child: ChildProcess, host: string, port: number): Promise<boolean> {
  return (await childListensOn(child, port)) ?? accepts(host, port);
}

/** One connect attempt: true if something accepted. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host, port }, () => {
      sock.destroy();
      resolve(true);
    });
    // ECONNREFUSED until the child has bound: the expected answer while it starts.
    sock.once('error', () => resolve(false));
  });
}

/**
 * Resolves once the child (or a process it started) listens on host:port
 * (once something accepts, where the kernel's table cannot be read); rejects
 * if the child exits first or after `ms`. Polls every 10 ms: nginx binds within
 * a few ms of starting, and there is no event to wait on in another process.
 */
export async function waitAccepting(child: ChildProcess, what: string, host: string, port: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (exited(child))
      throw new LabError('LAB_ERR_LISTEN', `${what} exited (${child.exitCode ?? child.signalCode}) before listening on ${host}:${port}`, {
        found: `${host}:${port}`,
      });
    if (await ready(child, host, port)) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new LabError('LAB_ERR_LISTEN', `${what} not listening on ${host}:${port} after ${ms} ms`, { found: `${host}:${port}` });
}

/** Sends `signal` and waits for the exit, unless the child is already gone. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (exited(child)) return;
  const gone = once(child, 'exit');
  child.kill(signal);
  await gone;
}
