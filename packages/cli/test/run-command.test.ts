import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';
import { fakeContext } from './fake-context.js';
import { STORY_ORDER } from '@keepalive-lab/scenarios';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lab-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const lab = async (args: string[], tty = false) => {
  const f = fakeContext({ cwd: dir, tty });
  const code = await main(['node', 'lab', ...args], f.ctx);
  return { code, out: f.out(), err: f.err() };
};

describe('lab run', () => {
  it('runs a scenario, prints the tables and verdict, saves a result and exits 0', async () => {
    const r = await lab(['run', 'keepalive-direct', '--results-dir', 'res']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Ports, per client connection');
    expect(r.out).toContain('✓ reproduced');
    const files = await readdir(join(dir, 'res', 'keepalive-direct'));
    expect(files).toHaveLength(1);
    const doc = JSON.parse(await readFile(join(dir, 'res', 'keepalive-direct', files[0] ?? ''), 'utf8'));
    expect(doc.metrics['client.distinctPorts']).toBe(5);
    expect(r.err).toBe(''); // no progress noise off a TTY
  });

  it('--json prints an array of result documents (one element for one scenario) and nothing else', async () => {
    const r = await lab(['run', 'close-direct', '--json', '--no-save']);
    expect(r.code).toBe(0);
    const docs = JSON.parse(r.out);
    expect(docs).toHaveLength(1);
    const doc = docs[0];
    expect(doc.schema).toBe('keepalive-lab/result@1');
    expect(doc.requests).toHaveLength(20);
    expect(Object.keys(doc.requests[0]).slice(0, 12)).toEqual([
      'id',
      'start',
      'end',
      'status',
      'error',
      'clientPort',
      'reused',
      'upstreamPort',
      'originPort',
      'origin',
      'originConn',
      'nthOnConn',
    ]);
    expect(new Set(doc.requests.map((x: { clientPort: number }) => x.clientPort)).size).toBe(20);
  });

  it('exits 1 when a scenario does not reproduce', async () => {
    const file = join(dir, 'wrong.yaml');
    await writeFile(
      file,
      'name: wrong\ntitle: W\nclient: { requests: 3, keepAlive: false }\nexpect:\n  - { metric: client.distinctPorts, equals: 1 }\n',
    );
    const r = await lab(['run', file, '--no-save']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('✗ not reproduced (1 of 1 checks failed)');
  });

  it('a bad file names the file and path, exits 2 and runs nothing', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'name: bad\ntitle: B\norigins:\n  - keepAliveTimeout: 2 s\n');
    const r = await lab(['run', file, '--results-dir', 'bad-results']);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${file}: origins.0.keepAliveTimeout: expected a duration like 500ms, 2s or 1m, found "2 s"`);
    expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
    expect(r.out).toBe('');
    await expect(readdir(join(dir, 'bad-results'))).rejects.toThrow(); // nothing ran, nothing saved
  });

  it('several bad files among good ones: every bad one is reported, nothing runs', async () => {
    const first = join(dir, 'bad-a.yaml');
    const second = join(dir, 'bad-b.yaml');
    await writeFile(first, 'name: a\ntitle: A\nclient: { requests: 0 }\n');
    await writeFile(second, 'name: b\ntitle: B\norigins:\n  - keepAliveTimeout: 2 s\n');
    const r = await lab(['run', first, 'close-direct', second, '--results-dir', 'bad-many']);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`lab: ${first}: client.requests: expected a whole number ≥ 1, found 0`);
    expect(r.err).toContain(`lab: ${second}: origins.0.keepAliveTimeout: expected a duration`);
    expect(r.out).toBe('');
    await expect(readdir(join(dir, 'bad-many'))).rejects.toThrow();
  });

  it('a bad --set names the override and exits 2', async () => {
    const r = await lab(['run', 'keepalive-l4', '--set', 'client.requests=-3']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--set client.requests=-3: client.requests: expected a whole number ≥ 1, found -3');
  });

  it('an unknown scenario lists the known ones', async () => {
    const r = await lab(['run', 'keepalive-l5']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('no scenario named "keepalive-l5"');
    expect(r.err).toMatch(/known: .*keepalive-l4/);
  });

  it('an unknown flag is named, exit 2', async () => {
    const r = await lab(['run', 'keepalive-l4', '--sett', 'x=1']);
    expect(r.code).toBe(2);
    expect(r.err).toContain("unknown option '--sett'");
  });

  it('skips a scenario whose real peer is missing, says how to install it, and runs the others', async () => {
    const saved = process.env.LAB_NGINX;
    process.env.LAB_NGINX = 'none'; // as on a machine without nginx
    try {
      const r = await lab(['run', 'keepalive-nginx', 'close-direct', '--no-save', '--quiet']);
      expect(r.code).toBe(0);
      expect(r.err).toContain('keepalive-nginx');
      expect(r.err).toContain('skipped');
      expect(r.err).toContain('apt-get install -y nginx-light');
      expect(r.out).toContain('close-direct');
      expect(r.out).toContain('✓ reproduced');
      const alone = await lab(['run', 'keepalive-nginx', '--no-save']);
      expect(alone.code).toBe(1); // asked for by name: the run fails, with the same hint
      expect(alone.err).toContain('LAB_ERR_PEER_MISSING');
    } finally {
      if (saved === undefined) delete process.env.LAB_NGINX;
      else process.env.LAB_NGINX = saved;
    }
  });

  it('shows progress on a TTY only', async () => {
    const r = await lab(
      ['run', 'pool-head-of-line', '--no-save', '--set', 'origins.0.delay=300ms', '--set', 'analysis.batchGap=150ms'],
      true,
    );
    expect(r.code).toBe(0);
    expect(r.err).toContain('waiting for the origin answers each request after 300ms');
  });
});

describe('lab list and explain', () => {
  it('lists every shipped scenario with its title, in the story order', async () => {
    const r = await lab(['list']);
    expect(r.code).toBe(0);
    const listed = r.out.split('\n').flatMap((line) => /^(\S+)\s{2,}\S/.exec(line)?.[1] ?? []);
    expect(listed).toEqual([...STORY_ORDER]);
    expect(r.out).toContain("The blog's L4 forwarder stalls keep-alive clients");
  });

  it('explains a scenario without running it', async () => {
    const r = await lab(['explain', 'keepalive-l4']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('HTTP_SERVER_KEEP_ALIVE_TIMEOUT_BUFFER');
    expect(r.out).toContain('batches = client.requests / client.maxSockets');
  });

  it('prints help for the program and each command', async () => {
    for (const args of [['--help'], ['run', '--help'], ['load', '--help'], ['proxy', '--help'], ['origin', '--help']]) {
      const r = await lab(args);
      expect([args.join(' '), r.code]).toEqual([args.join(' '), 0]);
      expect(r.out).toContain('Usage: lab');
    }
  });
});
