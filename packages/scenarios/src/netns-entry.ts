// The child of a namespaced run (netns.ts): started by `unshare -rn -- node netns-entry.js` (through tsx from the sources),
// so this process is alone in a network namespace. Reads { loaded, localPortRange } on stdin, sets the
// namespace up, runs the scenario through runToDocument — the same code path as on the host — and
// prints one JSON line on stdout: the result document, or what failed. Anything else goes to stderr.
import { LabError } from '@keepalive-lab/core';
import { markInsideNamespace, setUpNamespace, type NamespaceReply, type NamespaceRequest } from './netns.js';
import { runToDocument } from './run-document.js';

const reply = (r: NamespaceReply): void => {
  // Exit once the line is out (a pipe may take it in several writes), whatever handle a component forgot.
  process.stdout.write(`${JSON.stringify(r)}\n`, () => process.exit(r.ok ? 0 : 1));
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
    reply({ ok: true, doc: await runToDocument(req.loaded), localPortRange: range });
  } catch (err) {
    reply({ ok: false, stage: 'run', error: describe(err) });
  }
}
