import { connect } from 'node:net';
import { afterEach } from 'vitest';
import type { FakeContext } from './fake-context.js';

/** The URL `--watch` prints on stderr, once it has. */
export async function liveUrl(f: FakeContext, timeoutMs = 10_000): Promise<string> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const m = /live view: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(f.err());
    if (m?.[1]) return m[1];
    if (performance.now() > deadline) throw new Error(`no live view URL on stderr after ${timeoutMs} ms:\n${f.err()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** TCP servers and sockets this process holds now: 0 between the tests of these files (Chromium talks over a pipe). */
export const tcpHandles = (): number =>
  process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap' || r === 'TCPSocketWrap').length;

/** Resolves with the error code a connect to 127.0.0.1:port meets (`ECONNREFUSED` once nothing listens), or 'connected'. */
export function connectOutcome(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve('connected');
    });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
  });
}

/**
 * `--open` with `$BROWSER=true`: the command "opens" the page with a program
 * that exits at once, then waits for the page, which the test opens itself.
 * The run therefore starts only when the test's page or stream is connected.
 */
export async function withBrowserEnv<T>(fn: () => Promise<T>): Promise<T> {
  const saved = process.env.BROWSER;
  process.env.BROWSER = 'true';
  try {
    return await fn();
  } finally {
    if (saved === undefined) delete process.env.BROWSER;
    else process.env.BROWSER = saved;
  }
}

/**
 * Long-running commands a test started: if the test fails half-way, they are
 * stopped after it as Ctrl-C would, so the next test (and the file's socket
 * check) does not inherit their server.
 */
export function stoppedAfterEach(): (f: FakeContext, running: Promise<number>) => Promise<number> {
  const started: { f: FakeContext; running: Promise<number> }[] = [];
  afterEach(async () => {
    for (const s of started.splice(0)) {
      s.f.stop('SIGINT');
      await s.running.catch(() => 1);
    }
    // Closed sockets are released within a tick or two: the next test starts from none.
    const deadline = performance.now() + 2000;
    while (tcpHandles() > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  });
  return (f, running) => {
    started.push({ f, running });
    return running;
  };
}
