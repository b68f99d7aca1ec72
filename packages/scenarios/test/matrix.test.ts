import { afterEach, describe, expect, it } from 'vitest';
import { BUILTIN_SCENARIO_DIR, loadScenario, observedRuns, runMatrix, type LoadedScenario, type MatrixDocument } from '../src/index.js';

async function load(name: string): Promise<LoadedScenario> {
  const r = await loadScenario(`${BUILTIN_SCENARIO_DIR}${name}.yaml`);
  if (!r.ok) throw r.error;
  return r.value;
}

const cell = (doc: MatrixDocument, label: RegExp, kind: string) => {
  const row = doc.rows.find((r) => label.test(r.label));
  const c = row?.cells.find((x) => x.kind === kind);
  if (!row || !c) throw new Error(`no cell ${String(label)} × ${kind}`);
  return { row, c, run: c.run === null ? null : doc.runs[c.run] };
};

const saved = process.env.LAB_NGINX;
afterEach(() => {
  if (saved === undefined) delete process.env.LAB_NGINX;
  else process.env.LAB_NGINX = saved;
});

describe('lab matrix (behaviours × proxy kinds)', () => {
  it("runs each observed variant through each kind with its defaults, and every cell traces to that run's records", async () => {
    process.env.LAB_NGINX = 'none'; // a kind that is not installed: a column of its install line, nothing run
    const scenarios = [await load('stale-socket-retry'), await load('hop-by-hop-headers')];
    expect(scenarios.map((s) => observedRuns(s).map((v) => v?.name))).toEqual([['get', 'post'], ['l7']]);
    const doc = await runMatrix(scenarios, ['l7', 'pipe-l4', 'nginx']);

    expect(doc.kinds.map((k) => [k.kind, k.missing === null])).toEqual([
      ['l7', true],
      ['pipe-l4', true],
      ['nginx', false],
    ]);
    expect(doc.kinds[2]?.missing).toContain('apt-get install -y nginx-light');
    // 3 observed runs × 2 installed kinds; nginx ran nothing.
    expect(doc.runs.map((r) => `${r.scenario}:${r.variant} × ${r.kind}`)).toHaveLength(6);
    expect(doc.rows.every((r) => r.cells.find((c) => c.kind === 'nginx')?.note === 'not installed')).toBe(true);
    expect(doc.rows.every((r) => r.cells.find((c) => c.kind === 'nginx')?.state === 'not installed')).toBe(true);
    expect(doc.rows.every((r) => r.cells.filter((c) => c.kind !== 'nginx').every((c) => c.state === 'measured'))).toBe(true);

    // Cell 1, recomputed: retries = request ids the origin received more than once, in that run's events.
    const retried = cell(doc, /retries a GET/, 'l7');
    const seen = new Map<string, number>();
    for (const e of retried.run?.events ?? [])
      if (e.source === 'origin' && e.event === 'request' && e.id !== null) seen.set(e.id, (seen.get(e.id) ?? 0) + 1);
    const retries = [...seen.values()].reduce((n, k) => n + k - 1, 0);
    expect(retried.c.value).toBe(retries);
    expect(retries).toBe(9);
    expect(retried.c.pass).toBe(true);
    expect(retried.run?.scenario).toBe('stale-socket-retry');
    expect(retried.run?.variant).toBe('get');

    // Cell 2: an L4 pipe forwards the named header, counted from the origin's recorded hop headers.
    const leaks = cell(doc, /strips a header/, 'pipe-l4');
    const arrived = (leaks.run?.events ?? []).filter((e) => e.source === 'origin' && e.event === 'request' && e.hop?.['x-lab-hop'] === '1');
    expect([leaks.c.value, arrived.length, leaks.c.pass]).toEqual([10, 10, false]);

    // Cell 3: what pipe-l4's clients got on the stale GETs, from the client records: one EOF per dropped connection.
    const answered = cell(doc, /answers every GET/, 'pipe-l4');
    const rs = answered.run?.requests ?? [];
    expect(answered.c.value).toBe(rs.filter((r) => r.status === 200).length);
    expect(answered.c.note).toBe(`${rs.filter((r) => r.error === 'EOF').length}×eof`);
    expect(answered.c.pass).toBe(false);
  });
});
