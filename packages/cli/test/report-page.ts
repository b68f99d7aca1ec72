import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromiumMissing } from '../../../test-support/chromium.js';
import { MATRIX_SCHEMA, type MatrixDocument, type ResultDocument } from '@keepalive-lab/scenarios';

/** What the HTML report tests share: Debian's Chromium, the committed result fixtures, a matrix the size of the real one. */
export { CHROMIUM, hasChromium, launchChromium } from '../../../test-support/chromium.js';
export const skipWhy = `skipped: ${chromiumMissing}`;

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const fixtures = join(root, 'packages', 'report', 'test', 'fixtures');
export const artifacts = join(root, 'test-artifacts');

/**
 * Result files saved by real runs (packages/report/test/fixtures): the blog's
 * stall, the pipe, a pool with variants, and one of each failure kind the
 * client meets (502 from the L7 proxy, a reset after a 200 head, EOF,
 * ECONNREFUSED, a timeout; made with `lab run <name> --set ...`, see each
 * file's `source.overrides`).
 */
export const FIXTURES = [
  'keepalive-l4',
  'keepalive-pipe-l4',
  'pool-head-of-line',
  'origin-down',
  'idle-race-direct',
  'keepalive-direct-reset',
  'close-direct-refused',
  'keepalive-modern-node-timeout',
] as const;

export async function fixtureDoc(name: (typeof FIXTURES)[number]): Promise<ResultDocument> {
  return JSON.parse(await readFile(join(fixtures, `${name}.json`), 'utf8')) as ResultDocument;
}

/** A results folder as `lab run` leaves it (`<dir>/<scenario>/<time>.json`), every fixture in it, and a matrix. */
export async function resultsFolder(dir: string): Promise<void> {
  for (const f of FIXTURES) {
    const doc = await fixtureDoc(f);
    await mkdir(join(dir, doc.scenario.name), { recursive: true });
    await copyFile(join(fixtures, `${f}.json`), join(dir, doc.scenario.name, `${doc.startedAt.replace(/[:.]/g, '-')}.json`));
  }
  await mkdir(join(dir, 'matrix'), { recursive: true });
  await writeFile(join(dir, 'matrix', '2026-12-02T00-00-00-000Z.json'), JSON.stringify(wideMatrix()));
}

/** The shape of docs/matrix.md: 12 kinds (one not installed), 15 behaviours, the longest cell texts it has. */
export function wideMatrix(): MatrixDocument {
  const names = [
    'pipe-l4',
    'l7',
    'l7-fast',
    'nginx',
    'haproxy',
    'haproxy-tcp',
    'caddy',
    'apache',
    'varnish',
    'squid',
    'http-proxy',
    'undici-proxy',
  ];
  const kinds = names.map((kind, i) => ({
    kind,
    source: i < 3 ? 'lab' : 'system',
    layer: kind.endsWith('l4') || kind.endsWith('tcp') ? 'L4' : 'L7',
    version: i === 9 ? null : '2.6.12',
    missing: i === 9 ? 'not installed. Install it with: apt-get update && apt-get install -y squid' : null,
  }));
  const rows = Array.from({ length: 15 }, (_, r) => ({
    scenario: 'stale-socket-retry',
    variant: r % 2 === 0 ? 'get' : null,
    metric: 'proxy.retries',
    label: `pools upstream connections across clients (one-request clients, one after another) #${r + 1}`,
    bound: '= client.requests - 1',
    cells: kinds.map((k, c) =>
      k.missing !== null
        ? { kind: k.kind, run: null, value: null, pass: null, state: 'not installed' as const, note: 'not installed' }
        : { kind: k.kind, run: null, value: 12, pass: (r + c) % 3 === 0, state: 'measured' as const, note: '10×503 2×502' },
    ),
  }));
  return {
    schema: MATRIX_SCHEMA,
    startedAt: '2026-12-02T00:00:00.000Z',
    durationMs: 159_000,
    env: { node: 'v20.20.2', os: 'Linux x64', kernel: '6.1', cpus: 2, lab: '0.1.0' },
    kinds,
    rows,
    runs: [],
  };
}
