import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenario } from '../src/index.js';
import { MAX_PROBLEMS_SHOWN, ScenarioProblemsError } from '../src/validation-errors.js';

// A bad scenario file reports every problem at once (file, path, what was expected), in the file's order.

const LAB = fileURLToPath(new URL('../../cli/bin/lab.js', import.meta.url));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lab-problems-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function errorOf(text: string, sets: string[] = []) {
  const file = join(dir, `s${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, text);
  const r = await loadScenario(file, sets);
  if (r.ok) throw new Error('expected the scenario to be refused');
  const lines = r.error.message.split('\n');
  const problems = r.error instanceof ScenarioProblemsError ? r.error.problems : [];
  return { file, error: r.error, lines, problems };
}

// Five problems of five kinds: a missing field, a bad count, an unknown key, a knob the kind lacks, a metric the catalogue lacks.
const FIVE =
  'name: x\nclient:\n  requests: -3\n  concurency: 2\nproxy:\n  kind: l7\n  maxSockts: 4\n' +
  'expect:\n  - { metric: client.distinctPrts, equals: 1 }\n';

const FIVE_LINES = [
  '  title: expected a string, found nothing',
  '  client.requests: expected a whole number ≥ 1, found -3',
  '  client.concurency: expected a known key (did you mean "concurrency"?), found unknown key "concurency"',
  // l7's knobs, whatever they are today.
  expect.stringMatching(
    /^ {2}proxy\.maxSockts: expected a knob of proxy kind l7 \(did you mean "maxSockets"\?\); l7 takes .*, found unknown key "maxSockts"$/,
  ),
  '  expect.0.metric: expected a metric of docs/reference.md (did you mean "client.distinctPorts"?), found "client.distinctPrts"',
];

describe('every problem of a scenario file at once', () => {
  it('reports each problem with its path, under one line naming the file and how many', async () => {
    const { file, error, lines, problems } = await errorOf(FIVE);
    expect(error.code).toBe('LAB_ERR_SCENARIO_INVALID');
    expect(error.exitCode).toBe(2);
    expect(lines).toEqual([`${file}: 5 problems`, ...FIVE_LINES]);
    expect(problems.map((p) => [p.path, p.file])).toEqual([
      ['title', file],
      ['client.requests', file],
      ['client.concurency', file],
      ['proxy.maxSockts', file],
      ['expect.0.metric', file],
    ]);
    // The first problem stays in details, as when it was the only one reported.
    expect(error.details).toMatchObject({ file, path: 'title', expected: 'a string', found: 'nothing' });
  });

  it('a file with one problem reads as it always has: one line, no count', async () => {
    const { file, error, lines } = await errorOf('name: x\nclient:\n  requests: 20\n');
    expect(error.code).toBe('LAB_ERR_SCENARIO_INVALID');
    expect(lines).toEqual([`${file}: title: expected a string, found nothing`]);
    expect(error.details).toEqual({ file, path: 'title', expected: 'a string', found: 'nothing' });
  });

  it("lists problems in the file's order, not the schema's; a missing field sits where its mapping starts", async () => {
    const { lines } = await errorOf(
      'expect:\n  - { metric: batchs, equals: 1 }\nclient:\n  bogus: 1\n  requests: -1.5\n  maxSockts: 3\n' +
        'name: Bad Name\norigins:\n  - keepAliveTimeout: 2 s\n',
    );
    expect(lines.slice(1).map((l) => l.trim().split(': ')[0])).toEqual([
      'title',
      'expect.0.metric',
      'client.bogus',
      'client.requests',
      'client.maxSockts',
      'name',
      'origins.0.keepAliveTimeout',
    ]);
    // One problem a path: -1.5 is neither whole nor ≥ 1, and one line says so.
    expect(lines.filter((l) => l.includes('client.requests'))).toEqual(['  client.requests: expected a whole number, found -1.5']);
  });

  it('reports several unknown keys of one mapping, each with its own did-you-mean', async () => {
    const { lines } = await errorOf('name: x\ntitle: x\nclient:\n  concurency: 2\n  maxSockts: 3\n');
    expect(lines.slice(1)).toEqual([
      '  client.concurency: expected a known key (did you mean "concurrency"?), found unknown key "concurency"',
      '  client.maxSockts: expected a known key (did you mean "maxSockets"?), found unknown key "maxSockts"',
    ]);
  });

  it('reports every bound that does not resolve', async () => {
    const { file, lines } = await errorOf(
      'name: x\ntitle: t\nexpect:\n  - { metric: batches, equals: client.request / 2 }\n  - { metric: batches, atMost: foo.bar }\n',
    );
    expect(lines).toEqual([
      `${file}: 2 problems`,
      '  expect.0.equals: client.request is not a number in this scenario (found nothing)',
      '  expect.1.atMost: foo.bar is not a number in this scenario (found nothing)',
    ]);
  });

  it(`shows the first ${MAX_PROBLEMS_SHOWN}, then how many more`, async () => {
    const keys = Array.from({ length: MAX_PROBLEMS_SHOWN + 5 }, (_, i) => `  zz${i}: 1\n`).join('');
    const { file, lines, problems } = await errorOf(`name: x\ntitle: t\nclient:\n${keys}`);
    expect(lines[0]).toBe(`${file}: ${MAX_PROBLEMS_SHOWN + 5} problems`);
    expect(lines).toHaveLength(1 + MAX_PROBLEMS_SHOWN + 1);
    expect(lines[MAX_PROBLEMS_SHOWN]).toBe(
      `  client.zz${MAX_PROBLEMS_SHOWN - 1}: expected a known key, found unknown key "zz${MAX_PROBLEMS_SHOWN - 1}"`,
    );
    expect(lines.at(-1)).toBe('  ... and 5 more');
    expect(problems).toHaveLength(MAX_PROBLEMS_SHOWN + 5);
  });
});

describe('--set and variants', () => {
  const good = 'name: x\ntitle: x\nclient:\n  requests: 3\n';

  it('every bad --set, each naming the flag, in the order typed; the flag code when only flags are wrong', async () => {
    const { file, error, lines } = await errorOf(good, ['client.requests=abc', 'client.keepAlive=maybe']);
    expect(error.code).toBe('LAB_ERR_BAD_OVERRIDE');
    expect(error.exitCode).toBe(2);
    expect(lines).toEqual([
      `${file}: 2 problems`,
      '  --set client.requests=abc: client.requests: expected a number, found "abc"',
      '  --set client.keepAlive=maybe: client.keepAlive: expected true or false, found "maybe"',
    ]);
  });

  it('one bad --set reads as it always has', async () => {
    const { file, error, lines } = await errorOf(good, ['client.requests=abc']);
    expect(error.code).toBe('LAB_ERR_BAD_OVERRIDE');
    expect(lines).toEqual([`${file}: --set client.requests=abc: client.requests: expected a number, found "abc"`]);
  });

  it("a --set that cannot be written is reported with the file's problems, and leaves nothing half-written behind", async () => {
    const { file, error, lines } = await errorOf('name: x\nclient:\n  requests: 3\n', ['client.requests=abc', 'origins.4.delay=1s']);
    // The file itself is wrong too: its code.
    expect(error.code).toBe('LAB_ERR_SCENARIO_INVALID');
    expect(lines).toEqual([
      `${file}: 3 problems`,
      '  --set client.requests=abc: client.requests: expected a number, found "abc"',
      '  --set origins.4.delay=1s: origins is not in the file (its default has one element); expected an index from 0 to 0',
      '  title: expected a string, found nothing',
    ]);
  });

  it('a malformed --set is still a flag error of its own, before the file is read', async () => {
    const { error, lines } = await errorOf('name: x\n', ['client.requests']);
    expect(error.code).toBe('LAB_ERR_BAD_OVERRIDE');
    expect(lines).toEqual(['--set client.requests: expected path=value, e.g. --set origins.0.keepAliveTimeout=5s']);
  });

  it("reports the file's problems once (not once a variant), and each variant's own at that variant", async () => {
    const { file, lines, problems } = await errorOf(
      'name: x\nclient: { requests: nope }\nvariants:\n  - { name: a, set: { client.maxSockets: many } }\n' +
        '  - { name: b, set: { client.keepAlive: 3 } }\n  - { name: c, expect: [{ metric: batchez, equals: 1 }] }\nobserve: []\n' +
        'analysis: { batchGap: 1 }\n',
    );
    expect(lines).toEqual([
      `${file}: 6 problems`,
      '  title: expected a string, found nothing',
      '  client.requests: expected a number, found "nope"',
      '  (variant a): client.maxSockets: expected a number, found "many"',
      '  (variant b): client.keepAlive: expected true or false, found 3',
      '  variants.2.expect.0.metric: expected a metric of docs/reference.md (did you mean "batches"?), found "batchez"',
      '  analysis.batchGap: expected a duration like 500ms, 2s or 1m, found 1',
    ]);
    expect(problems.filter((p) => p.path === 'client.requests')).toHaveLength(1);
  });
});

describe('lab run on a file with several problems', () => {
  it('prints them all on stderr, no stack, and exits 2', async () => {
    const file = join(dir, 'five.yaml');
    await writeFile(file, FIVE);
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [LAB, 'run', file], { timeout: 60_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }),
      );
    });
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.split('\n')).toEqual([`lab: ${file}: 5 problems`, ...FIVE_LINES, '  (LAB_ERR_SCENARIO_INVALID)', '']);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
