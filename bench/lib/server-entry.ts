import http from 'node:http';
import { Recorder } from '@keepalive-lab/core';
import { createOrigin } from '@keepalive-lab/origin';

/**
 * The child side of server-child.ts: starts one server, prints `{"port":N}`,
 * runs until SIGTERM or until the parent goes away (stdin closes).
 *
 *   plain       node:http answering `ok\n`, nothing else: the baseline
 *   lab         the lab origin, default options (its recorder keeps nothing)
 *   lab-record  the lab origin with a Recorder that keeps every event
 *   lab-nokeep  the lab origin with new Recorder({ keep: false }) given explicitly
 */
const kind = process.argv[2] ?? '';

interface Closable {
  close(): Promise<void>;
}

async function start(): Promise<{ port: number; server: Closable }> {
  if (kind === 'plain') {
    const server = http.createServer((_req, res) => res.end('ok\n'));
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
