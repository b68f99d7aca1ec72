import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** Servers under test run in a child process, so the load generator and the server do not share one core. */
export interface ServerChild {
  url: string;
  pid: number | undefined;
  stop(): Promise<void>;
}

const ENTRY = fileURLToPath(new URL('./server-entry.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Starts `kind` (see server-entry.ts) and resolves once it prints its port. */
export async function startServerChild(kind: string): Promise<ServerChild> {
  // `--import tsx` is resolved from the repo root, where tsx is a dev dependency.
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, kind], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await firstLine(child);
  return {
    url: `http://127.0.0.1:${port}/`,
    pid: child.pid,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function firstLine(child: ChildProcess): Promise<number> {
  if (child.stdout === null) throw new Error('server child has no stdout');
  const lines = createInterface({ input: child.stdout });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`server child exited with ${String(code)} before listening`);
  });
  const line = once(lines, 'line').then(([l]) => String(l));
  const text = await Promise.race([line, exited]);
  lines.close();
  const port = (JSON.parse(text) as { port?: unknown }).port;
  if (typeof port !== 'number') throw new Error(`server child said ${text}, expected {"port":N}`);
  return port;
}
