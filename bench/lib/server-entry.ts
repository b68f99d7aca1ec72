import http from 'node:http';
import httpProxy from 'http-proxy';
import { Recorder } from '@keepalive-lab/core';
import { createOrigin } from '@keepalive-lab/origin';
import { createL7Proxy, createPipeL4 } from '@keepalive-lab/proxies';
// l7-fast is loaded on purpose, not through the package (which loads it lazily).
import { createL7FastProxy } from '../../packages/proxies/src/l7-fast/index.js';
import { PEER_KNOBS, startPeer } from './peers.js';

/**
 * The child side of server-child.ts: starts one server, prints `{"port":N}`,
 * runs until SIGTERM or until the parent goes away (stdin closes).
 *
 *   plain       node:http answering `ok\n`, nothing else: the baseline, and the origin behind every proxy
 *   lab         the lab origin, default options (its recorder keeps nothing)
 *   lab-record  the lab origin with a Recorder that keeps every event
 *   lab-nokeep  the lab origin with new Recorder({ keep: false }) given explicitly
 *   (`lab origin` itself, the CLI, is spawned by server-child.ts directly: kind lab-cli)
 *
 * Proxies in front of an origin on 127.0.0.1:PORT (the kind names it):
 *   l7@PORT           createL7Proxy with its defaults (what `lab proxy l7` builds, minus the event printing)
 *   l7-fast@PORT      createL7FastProxy with the same defaults (raw llhttp engine)
 *   pipe-l4@PORT      createPipeL4 (what `lab proxy pipe-l4` builds; it prints per connection, not per request)
 *   http-proxy@PORT   the http-proxy library with a keep-alive http.Agent
 *   nginx@PORT, haproxy@PORT, haproxy-tcp@PORT
 *                     the real proxy as a grandchild (peers.ts); this process relays its port and stops it
 *
 * With an IPC channel (server-child's `ipc`), the child answers the message
 * 'stats' with { rss, heapUsed, stats }: its memory after a forced GC (with
 * --expose-gc) and, for the lab's proxies, their counters.
 */
const [kind = '', targetPort = ''] = (process.argv[2] ?? '').split('@');

interface Closable {
  close(): Promise<void>;
}

/** Forwarded for `kind@PORT`: the origin's port. */
function originPort(): number {
  const port = Number(targetPort);
  if (!Number.isInteger(port) || port <= 0) throw new Error(`${kind} needs an origin port: ${kind}@PORT`);
  return port;
}

async function listenPlain(server: http.Server): Promise<{ port: number; server: Closable }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const a = server.address();
  if (a === null || typeof a === 'string') throw new Error('not a TCP address');
  return {
    port: a.port,
    server: {
      close: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    },
  };
}

/** Reports memory (and a lab proxy's counters) to a parent that spawned us with an IPC channel. */
function answerStats(stats: () => unknown): void {
  const send = process.send?.bind(process);
  if (send === undefined) return;
  process.on('message', (msg: unknown) => {
    if (msg !== 'stats') return;
    // --expose-gc: RSS after a full collection, not after whatever garbage is pending.
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
    send({ rss, heapUsed, heapTotal, external, stats: stats() });
  });
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}

async function startProxy(): Promise<{ port: number; server: Closable }> {
  const target = { host: '127.0.0.1', port: originPort() };
  if (kind === 'l7' || kind === 'l7-fast') {
    const proxy = kind === 'l7' ? createL7Proxy({ targets: [target] }) : createL7FastProxy({ targets: [target] });
    const { port } = await proxy.listen();
    answerStats(() => proxy.stats());
    return { port, server: proxy };
  }
  if (kind === 'pipe-l4') {
    const proxy = createPipeL4({ targets: [target] });
    const { port } = await proxy.listen();
    answerStats(() => ({ openSockets: proxy.openSockets }));
    return { port, server: proxy };
  }
  if (kind === 'http-proxy') {
    // Sized like the L7 proxy's pool: 64 sockets, 32 kept idle.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 32 });
    // xfwd: X-Forwarded-* as the L7 proxy and the nginx config add them.
    const proxy = httpProxy.createProxyServer({ target: `http://${target.host}:${target.port}`, agent, xfwd: true });
    proxy.on('error', (_err, _req, res) => {
      // A failed request counts as failed in the table: answer 502, never crash.
      if ('writeHead' in res && !res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    const server = http.createServer((req, res) => proxy.web(req, res));
    const started = await listenPlain(server);
    return {
      port: started.port,
      server: {
        close: async () => {
          await started.server.close();
          agent.destroy();
        },
      },
    };
  }
  const peer = await startPeer(kind, target.port);
  return { port: peer.port, server: peer };
}

const PROXIES = new Set(['l7', 'l7-fast', 'pipe-l4', 'http-proxy', ...Object.keys(PEER_KNOBS)]);

async function start(): Promise<{ port: number; server: Closable }> {
  if (PROXIES.has(kind)) return startProxy();
  if (kind === 'plain') {
    answerStats(() => null);
    return listenPlain(http.createServer((_req, res) => res.end('ok\n')));
  }
  const recorders: Record<string, Recorder | undefined> = {
    lab: undefined,
    'lab-record': new Recorder({ keep: true }),
    'lab-nokeep': new Recorder({ keep: false }),
  };
  if (!(kind in recorders)) throw new Error(`unknown server kind ${JSON.stringify(kind)}`);
  const recorder = recorders[kind];
  const origin = createOrigin(recorder === undefined ? {} : { recorder });
  const { port } = await origin.listen();
  return { port, server: origin };
}

const { port, server } = await start();
process.stdout.write(`${JSON.stringify({ port })}\n`);
const stop = (): void => {
  server.close().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`server child: close failed: ${String(err)}\n`);
      process.exit(1);
    },
  );
};
process.once('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
