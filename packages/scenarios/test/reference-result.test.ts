import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { proxyComponent } from '@keepalive-lab/proxies';
import { loadScenario, runToDocument, type ResultDocument } from '../src/index.js';

/**
 * The Result files tables of docs/reference.md against documents real runs
 * make, both ways: every key a document has is documented, and every
 * documented key turns up. One run has every optional part: a chain with a
 * real peer first (hops, proxyLog, peers' config and log), variants, a fault
 * the lab's L7 retries (GET) or answers 502 for itself (POST), a formula, a
 * skipped check; another runs in a network namespace (network).
 */
const missingNginx = proxyComponent('nginx').missing();
if (missingNginx !== null) console.warn(`reference-result.test.ts: skipped: ${missingNginx}`);

const SHAPES = `
origins: [{ name: a, faults: { dropOnReuse: true } }]
proxies: [{ kind: nginx }, { kind: l7 }]
client: { requests: 3, concurrency: 1 }
expect:
  - { metric: requests.total, equals: client.requests, why: the client sends every one }
  - { metric: proxy.own.retries, atLeast: 0 }
variants:
  - { name: get, title: GETs are retried }
  - { name: post, set: { client.method: POST } }
`;
const NETWORK = `
client: { requests: 2 }
network: { namespace: true, localPortRange: [40000, 40099] }
`;

let dir: string;
let docs: ResultDocument[] = [];
beforeAll(async () => {
  if (missingNginx !== null) return;
  dir = await mkdtemp(join(tmpdir(), 'lab-reference-'));
  for (const [name, body] of [
    ['reference-shapes', SHAPES],
    ['reference-network', NETWORK],
  ]) {
    const file = join(dir, `${name}.yaml`);
    await writeFile(file, `name: ${name}\ntitle: ${name}\n${body}`);
    const loaded = await loadScenario(file);
    if (!loaded.ok) throw loaded.error;
    docs.push(await runToDocument(loaded.value));
  }
}, 60_000);
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  docs = [];
});

const page = await readFile(new URL('../../../docs/reference.md', import.meta.url), 'utf8');

/** The rows of the first table under `### <title>` in Result files: first cell (unquoted) → the rest of the row. */
function table(title: string): Map<string, string> {
  const start = page.indexOf(`\n### ${title}\n`, page.indexOf('\n## Result files\n'));
  if (start < 0) throw new Error(`docs/reference.md has no "### ${title}" under Result files`);
  const end = page.indexOf('\n### ', start + 1);
  const rows = [...page.slice(start, end < 0 ? undefined : end).matchAll(/^\| `([^`]+)` \| (.*) \|$/gm)];
  return new Map(rows.map((m) => [m[1] ?? '', m[2] ?? '']));
}

/** Every key the objects have, sorted. */
const keysOf = (objects: object[]): string[] => [...new Set(objects.flatMap((o) => Object.keys(o)))].sort();
const documented = (title: string): string[] => [...table(title).keys()].sort();

describe.skipIf(missingNginx !== null)('docs/reference.md: Result files, held to real result documents', () => {
  it('documents every key of the document, and each documented key is in one', () => {
    expect(keysOf(docs)).toEqual(documented('The document'));
  });

  it('spells out source, env and network as they are', () => {
    const rows = table('The document');
    for (const key of ['source', 'env', 'network'] as const) {
      const row = rows.get(key) ?? '';
      const braces = (/\{ ([^}]*) \}/.exec(row)?.[1] ?? '').split(', ');
      const real = keysOf(docs.flatMap((d) => (d as unknown as Record<string, object | undefined>)[key] ?? []));
      // Every key the braces list is there; a key they do not (a fallback's `why` and `note`) is named after them.
      expect(
        braces.filter((k) => !real.includes(k)),
        key,
      ).toEqual([]);
      expect(
        real.filter((k) => !row.includes(`\`${k}\``) && !braces.includes(k)),
        key,
      ).toEqual([]);
    }
  });

  it('documents every field of a request record, a check, a variant and a proxy of the run, and no other', () => {
    const requests = docs.flatMap((d) => d.requests);
    expect(keysOf(requests)).toEqual(documented('A request record (`requests`)'));
    expect(keysOf(docs.flatMap((d) => d.expectations))).toEqual(documented('A check (`expectations`)'));
    expect(keysOf(docs.flatMap((d) => d.variants ?? []))).toEqual(documented('A variant (`variants`)'));
    expect(keysOf(docs.flatMap((d) => d.peers ?? []))).toEqual(documented('A proxy of the run (`peers`)'));
  });

  it('documents every event with its fields, and each documented one happened', () => {
    const common = ['event', 'source', 't', 'origin', 'proxy', 'variant'];
    const intro = page.slice(page.indexOf('\n### Events (`events`)\n'));
    expect(common.filter((f) => !intro.includes(`\`${f}\``))).toEqual([]);
    // Event name → its own fields (besides the common ones), as the runs made them and as the page lists them.
    const seen = new Map<string, Set<string>>();
    for (const e of docs.flatMap((d) => d.events) as unknown as Record<string, unknown>[]) {
      const fields = seen.get(String(e.event)) ?? new Set<string>();
      for (const k of Object.keys(e)) if (!common.includes(k)) fields.add(k);
      seen.set(String(e.event), fields);
    }
    const real = Object.fromEntries([...seen].map(([name, fields]) => [name, [...fields].sort()]));
    const listed = Object.fromEntries(
      [...table('Events (`events`)')].map(([name, row]) => [
        name,
        [...(row.split(' | ')[0] ?? '').matchAll(/`(\w+)`/g)].map((m) => m[1]).sort(),
      ]),
    );
    expect(real).toEqual(listed);
  });
});
