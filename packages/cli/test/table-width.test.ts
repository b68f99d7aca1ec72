import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../src/main.js';
import { fakeContext } from './fake-context.js';

/** Result files saved by real runs (the report package's fixtures): `lab show` and `lab compare` read them as a user's. */
const fixture = (name: string) => join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'report', 'test', 'fixtures', `${name}.json`);

const lab = async (args: string[], o: { tty?: boolean; columns?: number } = {}) => {
  const f = fakeContext({ tty: o.tty ?? false });
  if (o.columns !== undefined) f.ctx.stdout.columns = o.columns;
  const code = await main(['node', 'lab', ...args], f.ctx);
  const lines = f.out().split('\n');
  return { code, out: f.out(), err: f.err(), widest: Math.max(...lines.map((l) => [...stripVTControlCharacters(l)].length)) };
};

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('the width lab commands draw to', () => {
  it('COLUMNS=90 is honoured when stdout is not a TTY (its columns then mean nothing)', async () => {
    vi.stubEnv('COLUMNS', '90');
    const r = await lab(['show', fixture('keepalive-l4')], { columns: 200 });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.widest).toBe(90); // the timeline fills the width; no table goes past it
    expect(r.out).toContain('upstream = origin ports');
  });

  it('a bad COLUMNS is ignored silently: 100 columns, no error', async () => {
    vi.stubEnv('COLUMNS', 'abc');
    const r = await lab(['show', fixture('keepalive-l4')]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.widest).toBe(100);
  });

  it("a TTY's own width comes before COLUMNS", async () => {
    vi.stubEnv('COLUMNS', '90');
    const r = await lab(['show', fixture('keepalive-l4')], { tty: true, columns: 80 });
    expect(r.code).toBe(0);
    expect(r.widest).toBe(80);
  });

  it('compare fits 80 columns', async () => {
    vi.stubEnv('COLUMNS', '80');
    const r = await lab(['compare', fixture('keepalive-l4'), fixture('keepalive-pipe-l4')]);
    expect(r.code).toBe(0);
    expect(r.widest).toBeLessThanOrEqual(80);
  });

  it('--wide keeps every column at full width, past the terminal', async () => {
    vi.stubEnv('COLUMNS', '80');
    const show = await lab(['show', fixture('keepalive-l4'), '--wide']);
    expect(show.code).toBe(0);
    expect(show.widest).toBeGreaterThan(100);
    expect(show.out).toMatch(/│ client port │ requests │ upstream ports +│ origin ports +│ nth on conn │ status │ done at +│/);
    const compare = await lab(['compare', fixture('keepalive-l4'), fixture('keepalive-pipe-l4'), '--wide']);
    expect(compare.out).toContain(
      "  A keepalive-l4       ✓ reproduced  2026-11-25T08:55:39.511Z  The blog's L4 forwarder stalls keep-alive clients\n",
    );
  });
});
