import type { ChildProcess } from 'node:child_process';
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
 * Resolves once something accepts a TCP connection on host:port; rejects if
 * the child exits first or after `ms`. Polls every 10 ms: nginx binds within
 * a few ms of starting, and there is no event to wait on in another process.
 */
export async function waitAccepting(child: ChildProcess, what: string, host: string, port: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (exited(child)) throw new LabError('LAB_ERR_LISTEN', `${what} exited (${child.exitCode ?? child.signalCode}) before listening on ${host}:${port}`, { found: `${host}:${port}` });
    if (await accepts(host, port)) return;
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
