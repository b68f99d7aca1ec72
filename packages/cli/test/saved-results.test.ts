import { createHook } from 'node:async_hooks';
import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';
import { fakeContext } from './fake-context.js';

let dir: string;
let runOut: string;
let savedFile: string;

const lab = async (args: string[]) => {
  const f = fakeContext({ cwd: dir });
  const code = await main(['node', 'lab', ...args], f.ctx);
  return { code, out: f.out(), err: f.err() };
};

/**
 * Runs `fn` and returns the kinds of network handles node created meanwhile
 * (a listening server is a TCPSERVERWRAP, a connection a TCPWRAP): the
 * observable proof that a command only read files.
 */
async function networkHandlesDuring(fn: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const hook = createHook({
    init(_id, type) {
      if (/TCP|PIPE|UDP|HTTP/.test(type)) seen.push(type);
    },
  });
  hook.enable();
  try {
    await fn();
  } finally {
    hook.disable();
  }
  return seen;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lab-saved-'));
  // Real results, made at test time by real runs (these do open sockets).
  const run = await lab(['run', 'keepalive-direct', '--results-dir', 'res']);
  expect(run.code).toBe(0);
  runOut = run.out;
  const files = await readdir(join(dir, 'res', 'keepalive-direct'));
  savedFile = join(dir, 'res', 'keepalive-direct', files[0] ?? '');
  expect((await lab(['run', 'close-direct', '--results-dir', 'res'])).code).toBe(0);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('lab show', () => {
  it('prints exactly what lab run printed, from the saved file', async () => {
    const r = await lab(['show', 'keepalive-direct', '--results-dir', 'res']);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    // run adds one line after the result: where it saved it.
    expect(runOut).toBe(`${r.out}saved ${savedFile}\n\n`);
  });

  it('--json prints the stored document', async () => {
    const r = await lab(['show', savedFile, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual(JSON.parse(await readFile(savedFile, 'utf8')));
  });

  it('--timeline origin draws one row per origin connection', async () => {
    const r = await lab(['show', 'keepalive-direct', '--results-dir', 'res', '--timeline', 'origin']);
    expect(r.out.split('\n').filter((l) => /^origin#\d+ /.test(l))).toHaveLength(5);
    expect(r.out).toContain('(one row per origin connection)');
  });

  it('a bad --timeline value is a usage error, exit 2', async () => {
    const r = await lab(['show', 'keepalive-direct', '--results-dir', 'res', '--timeline', 'server']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--timeline: expected client or origin, found "server"');
  });
});

describe('show, compare and report read result files only', () => {
  it('the probe sees the sockets of a real run (so an empty list below means something)', async () => {
    const handles = await networkHandlesDuring(() => lab(['run', 'close-direct', '--no-save', '--quiet']));
    expect(handles).toContain('TCPSERVERWRAP');
    expect(handles).toContain('TCPWRAP');
  });

  it('opens no socket and needs neither the scenario file nor a server', async () => {
    // A copy whose scenario file no longer exists: nothing may reload or rerun it.
    const doc = JSON.parse(await readFile(savedFile, 'utf8')) as { source: { file: string } };
    doc.source.file = join(dir, 'gone', 'keepalive-direct.yaml');
    const copy = join(dir, 'copy.json');
    await writeFile(copy, JSON.stringify(doc));
    const codes: number[] = [];
    const handles = await networkHandlesDuring(async () => {
      codes.push((await lab(['show', copy])).code);
      codes.push((await lab(['compare', copy, 'close-direct', '--results-dir', 'res'])).code);
      codes.push((await lab(['report', copy, 'close-direct', '--results-dir', 'res', '--out', 'r.html'])).code);
    });
    expect(codes).toEqual([0, 0, 0]);
    expect(handles).toEqual([]);
  });
});

describe('lab compare', () => {
  it('puts the results side by side with the port counts per hop', async () => {
    const r = await lab(['compare', 'keepalive-direct', 'close-direct', '--results-dir', 'res']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/keepalive-direct\s+5 → – → 5 /);
    expect(r.out).toMatch(/close-direct\s+20 → – → 20 /);
    expect(r.out).toMatch(/◆ │ client\.distinctPorts/);
  });

  it('--json gives columns, metrics and port chains', async () => {
    const r = await lab(['compare', 'keepalive-direct', 'close-direct', '--results-dir', 'res', '--json']);
    const cmp = JSON.parse(r.out) as {
      columns: { label: string }[];
      metrics: { metric: string; values: number[] }[];
      chains: { chains: unknown[] }[];
    };
    expect(cmp.columns.map((c) => c.label)).toEqual(['keepalive-direct', 'close-direct']);
    expect(cmp.metrics.find((m) => m.metric === 'origin.distinctPorts')?.values).toEqual([5, 20]);
    expect(cmp.chains.map((c) => c.chains.length)).toEqual([20, 20]);
  });

  it('refuses one result and more than six, exit 2', async () => {
    const one = await lab(['compare', 'keepalive-direct', '--results-dir', 'res']);
    expect(one.code).toBe(2);
    expect(one.err).toContain('compare: expected 2 to 6 results (a variant counts as one), found 1: keepalive-direct');
    const seven = await lab(['compare', ...Array<string>(7).fill('close-direct'), '--results-dir', 'res']);
    expect(seven.code).toBe(2);
  });

  it('a name with no saved result says how to make one, exit 2', async () => {
    const r = await lab(['compare', 'keepalive-direct', 'keepalive-l4', '--results-dir', 'res']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('no saved result for "keepalive-l4"');
    expect(r.err).toContain('lab run keepalive-l4');
  });
});

describe('a corrupt or foreign result file', () => {
  const cases = [
    { name: 'truncated.json', text: '{"schema":"keepalive-lab/result@1","requests":[', says: 'not JSON' },
    {
      name: 'foreign.json',
      text: '{"name":"some-package","version":"1.0.0"}',
      says: 'not a keepalive-lab result: expected "schema": "keepalive-lab/result@1", found undefined',
    },
    {
      name: 'half.json',
      text: '{"schema":"keepalive-lab/result@1","requests":{},"events":[],"expectations":[]}',
      says: 'not a keepalive-lab result: expected "requests" to be a list',
    },
  ];
  for (const c of cases) {
    for (const cmd of ['show', 'compare', 'report'] as const) {
      it(`${cmd}: ${c.name} is named with what is wrong, exit 2`, async () => {
        await mkdir(join(dir, 'bad'), { recursive: true });
        const file = join(dir, 'bad', c.name);
        await writeFile(file, c.text);
        const args = cmd === 'show' ? [file] : cmd === 'compare' ? [savedFile, file] : [file, '--out', join(dir, 'bad', 'r.html')];
        const r = await lab([cmd, ...args]);
        expect(r.code).toBe(2);
        expect(r.err).toContain(`lab: ${file}: ${c.says}`);
        expect(r.err).toContain('(LAB_ERR_RESULT_INVALID)');
        expect(r.out).toBe('');
      });
    }
  }
});

describe('lab report', () => {
  it('writes one self-contained page: no external script, style or link', async () => {
    const r = await lab(['report', '--results-dir', 'res']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^wrote res\/report\.html \(2 results: close-direct, keepalive-direct; \d+ kB\)\n$/);
    const html = await readFile(join(dir, 'res', 'report.html'), 'utf8');
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/<link[^>]+href=/i);
    expect(html).not.toMatch(/url\(\s*['"]?https?:/i);
    expect(html).toContain('id="comparison"');
  });
});
