import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import { LabError } from '@keepalive-lab/core';

/**
 * A port the kernel just handed out and we released: nginx cannot listen on
 * port 0 and tell us which. Another process could take it in between; nginx
 * then fails to bind and exits, which waitAccepting reports.
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

const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

/**
 * Whether a socket listens on `port`, read from the kernel's table (Linux);
 * null where there is none to read. Preferred to connecting: an L4 peer
 * (haproxy-tcp) relays a probe connection to the origin, which would count it.
 */
async function listensOn(port: number): Promise<boolean | null> {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
  let found = false;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = await readFile(table, 'latin1');
    } catch {
      // Not Linux (or no IPv6 table): the caller falls back to connecting.
      if (table === '/proc/net/tcp') return null;
      continue;
    }
    // Columns: sl local_address rem_address st ...; st 0A is LISTEN.
    found ||= text.split('\n').some((line) => {
      const cols = line.trim().split(/\s+/);
      return cols[3] === '0A' && `${cols[1] ?? ''} `.endsWith(hex);
    });
  }
  return found;
}

/** Listening, by the kernel's table where there is one, else by one connect attempt. */
async function ready(host: string, port: number): Promise<boolean> {
  return (await listensOn(port)) ?? accepts(host, port);
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
 * Resolves once something listens on host:port (accepts, where the kernel's
 * table cannot be read); rejects if
 * the child exits first or after `ms`. Polls every 10 ms: nginx binds within
 * a few ms of starting, and there is no event to wait on in another process.
 */
export async function waitAccepting(child: ChildProcess, what: string, host: string, port: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (exited(child)) throw new LabError('LAB_ERR_LISTEN', `${what} exited (${child.exitCode ?? child.signalCode}) before listening on ${host}:${port}`, { found: `${host}:${port}` });
    if (await ready(host, port)) return;
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
