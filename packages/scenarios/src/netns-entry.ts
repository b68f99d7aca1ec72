// The child of a namespaced run (netns.ts): started by `unshare -rn -- node netns-entry.js` (through tsx from the sources),
// so this process is alone in a network namespace. Reads { loaded, localPortRange, progress } on stdin, sets the
// namespace up, runs the scenario through runToDocument — the same code path as on the host — and writes NDJSON on
// stdout (NamespaceLine): with `progress`, one { progress } line per event of the run's stream as it happens, then
// one { result } line: the result document, or what failed. Anything else goes to stderr.
import { LabError } from '@keepalive-lab/core';
import { markInsideNamespace, setUpNamespace, type NamespaceLine, type NamespaceReply, type NamespaceRequest } from './netns.js';
import { runToDocument } from './run-document.js';
import type { RunEvent } from './runner.js';

/** Lines not yet written: the events of one turn of the event loop go out in one write (10,000 requests are not 10,000 writes). */
let pending: string[] = [];
let flushing: NodeJS.Immediate | null = null;
const flush = (): void => {
  flushing = null;
  const text = pending.join('');
  pending = [];
  process.stdout.write(text);
};
const send = (line: NamespaceLine): void => {
  pending.push(`${JSON.stringify(line)}\n`);
  flushing ??= setImmediate(flush);
};
const forward = (progress: RunEvent): void => send({ progress });

const reply = (r: NamespaceReply): void => {
  if (flushing !== null) clearImmediate(flushing);
  // The progress still pending, then the result, in one write; exit once it is out (a pipe may take it in several
  // writes), whatever handle a component forgot.
  const text = `${pending.join('')}${JSON.stringify({ result: r } satisfies NamespaceLine)}\n`;
  pending = [];
  process.stdout.write(text, () => process.exit(r.ok ? 0 : 1));
};

const describe = (err: unknown): Extract<NamespaceReply, { ok: false }>['error'] => {
  if (err instanceof LabError) return { code: err.code, message: err.message, details: err.details };
  const e = err as NodeJS.ErrnoException | null;
  return { ...(typeof e?.code === 'string' ? { errno: e.code } : {}), message: e instanceof Error ? e.message : String(err) };
};

const chunks: Buffer[] = [];
for await (const c of process.stdin) chunks.push(c as Buffer);
const req = JSON.parse(Buffer.concat(chunks).toString('utf8')) as NamespaceRequest;

let range: [number, number] | null = null;
let setUp = false;
try {
  range = setUpNamespace(req.localPortRange);
  setUp = true;
} catch (err) {
  reply({ ok: false, stage: 'setup', error: describe(err) });
}
if (setUp) {
  markInsideNamespace();
  try {
    // Only when the parent has a listener: otherwise the runner emits nothing, as on the host.
    reply({
      ok: true,
      doc: await runToDocument(req.loaded, req.progress ? { emit: forward, detail: req.detail } : undefined),
      localPortRange: range,
    });
  } catch (err) {
    reply({ ok: false, stage: 'run', error: describe(err) });
  }
}
