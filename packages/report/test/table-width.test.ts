import type { MatrixCell, MatrixDocument } from '@keepalive-lab/scenarios';
import { describe, expect, it } from 'vitest';
import {
  compareViews,
  painter,
  renderChecks,
  renderComparison,
  renderMatrix,
  renderMetrics,
  renderPortTable,
  renderRequestTable,
  renderResult,
  terminalWidth,
  viewsOf,
  visibleWidth,
} from '../src/index.js';
import { closeRunDoc, fixtureDoc } from './fixture-docs.js';

const l4 = fixtureDoc('keepalive-l4');
const pool = fixtureDoc('pool-head-of-line');

/** A matrix as `lab matrix` saves it, without the runs: six kinds, one not installed, notes and failures in cells. */
function matrixDoc(): MatrixDocument {
  const kinds = ['pipe-l4', 'l7', 'nginx', 'haproxy', 'haproxy-tcp', 'caddy'].map((kind) => ({
    kind,
    source: 'lab',
    layer: kind.includes('l4') || kind === 'haproxy-tcp' ? 'L4' : 'L7',
    version: kind === 'caddy' ? null : kind.startsWith('haproxy') ? '2.6.12' : kind === 'nginx' ? '1.22.1' : '0.1.0',
    missing: kind === 'caddy' ? 'caddy is not installed. Install it with: apt-get install caddy' : null,
  }));
  const measured = (kind: string, value: number, pass: boolean | null, note = ''): MatrixCell => ({
    kind,
    run: 0,
    value,
    pass,
    state: 'measured',
    note,
  });
  const rows = [
    {
      scenario: 'origin-closes',
      variant: 'l7',
      metric: 'client.connections',
      label: 'keeps the client connection when the origin answers Connection: close',
      bound: '(= 1)',
      values: [10, 1, 1, 1, 10],
    },
    {
      scenario: 'stale-socket-retry',
      variant: 'get',
      metric: 'requests.ok',
      label: 'answers every GET though pooled sockets go stale',
      bound: '(= client.requests)',
      values: [5, 10, 10, 5, 5],
    },
    {
      scenario: 'origin-down',
      variant: null,
      metric: 'requests.failed',
      label: 'requests failed during a 500 ms outage',
      bound: null,
      values: [10, 10, 10, 0, 0],
    },
  ].map((r) => ({
    scenario: r.scenario,
    variant: r.variant,
    metric: r.metric,
    label: r.label,
    bound: r.bound,
    cells: [
      ...r.values.map((v, i) => {
        const kind = kinds[i]?.kind ?? '';
        const pass = r.bound === null ? null : v === r.values[1];
        return measured(kind, v, pass, v > 0 && (pass === false || r.bound === null) ? `${v}×502` : '');
      }),
      { kind: 'caddy', run: null, value: null, pass: null, state: 'not installed' as const, note: 'not installed' },
    ],
  }));
  return {
    schema: 'keepalive-lab/matrix@1',
    startedAt: '2026-11-25T09:00:00.000Z',
    durationMs: 160_000,
    env: { node: 'v20.19.5', os: 'Linux x64', kernel: '6.1.0', cpus: 2, lab: '0.1.0' },
    kinds,
    rows,
    runs: [],
  } as MatrixDocument;
}

/** Every table kind, drawn at `width` with colour off: what a user sees in a terminal that wide. */
const kinds = (width: number): Record<string, string> => {
  const p = painter({ color: false, width });
  const views = [...viewsOf(l4), ...viewsOf(fixtureDoc('keepalive-pipe-l4'))];
  return {
    ports: renderPortTable(l4.requests, p),
    requests: renderRequestTable(l4.requests, p),
    metrics: renderMetrics(l4.metrics, p),
    checks: renderChecks(l4.expectations, p),
    'checks with variants': renderChecks(pool.expectations, p),
    compare: renderComparison(compareViews(views), { color: false, width }),
    'compare of six': renderComparison(compareViews([...views, ...views, ...views]), { color: false, width }),
    matrix: renderMatrix(matrixDoc(), { color: false, width }),
  };
};

const widest = (text: string): number => Math.max(...text.split('\n').map(visibleWidth));

describe.each([80, 120])('tables at %i columns (snapshots with colour off)', (width) => {
  const drawn = kinds(width);

  it.each(Object.keys(drawn))('%s: no line is wider than the terminal', (kind) => {
    expect(widest(drawn[kind] ?? '')).toBeLessThanOrEqual(width);
    expect(drawn[kind]).toMatchSnapshot();
  });

  it('a colour that spans a wrapped line ends with the line: no border or next column is painted', () => {
    for (const line of renderResult(pool, { color: true, width }).split('\n')) {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the colour codes under test
      const last = [...line.matchAll(/\x1b\[(\d+)m/g)].at(-1)?.[1];
      expect([undefined, '0', '22', '39'], JSON.stringify(line)).toContain(last);
    }
  });

  it('a whole result (show), in colour or not, keeps within the width', () => {
    for (const doc of [l4, pool]) {
      expect(widest(renderResult(doc, { color: false, width }))).toBeLessThanOrEqual(width);
      expect(widest(renderResult(doc, { color: true, width }))).toBeLessThanOrEqual(width);
    }
  });
});

describe('columns that say the same thing', () => {
  const p = painter({ color: false, width: 120 });

  it('upstream and origin ports, one socket seen from both ends, show as one column, said once under the table', () => {
    const out = renderPortTable(l4.requests, p);
    expect(out).toContain('│ upstream = origin ports │');
    expect(out).toMatch(/│ 33056 +│ 4 +│ 39500 53604 53658 53708 │/);
    expect(out).not.toContain('│ origin ports');
    expect(out.match(/upstream = origin ports: one socket, seen from both ends/g)).toHaveLength(1);
  });

  it('stay two columns when one row differs', () => {
    const requests = l4.requests.map((r, i) => (i === 3 ? { ...r, upstreamPort: 1 } : r));
    const out = renderPortTable(requests, p);
    expect(out).toContain('│ upstream ports');
    expect(out).toContain('│ origin ports');
    expect(out).not.toContain('=');
  });

  it('with no proxy, client port and origin port are one column', () => {
    const out = renderRequestTable(closeRunDoc(12).requests, p);
    expect(out).toContain('│ client port = origin port │');
    expect(out).toContain("client port = origin port: no proxy in between, so the origin saw the client's own sockets");
  });
});

describe('narrower than wrapping can help', () => {
  it('drops the lowest-priority columns, says which, and still keeps within the width', () => {
    const out = renderPortTable(closeRunDoc(12).requests, painter({ color: false, width: 40 }));
    expect(widest(out)).toBeLessThanOrEqual(40);
    expect(out.split('\n')[1]).toBe('│ client port  │ requests │ status     │');
    expect(out.replace(/\n +/g, ' ')).toContain('not shown at 40 columns: nth on conn, done at (--wide shows every column)');
  });
});

describe('--wide (an unlimited width)', () => {
  const wide = { color: false, width: terminalWidth({ isTTY: true, columns: 80 }, true) };

  it('keeps every column at full width: lines past 80, nothing merged, nothing dropped', () => {
    const out = renderResult(l4, wide);
    expect(widest(out)).toBeGreaterThan(80);
    const head = out.split('\n').find((l) => l.startsWith('│ client port')) ?? '';
    for (const col of ['requests', 'upstream ports', 'origin ports', 'nth on conn', 'status', 'done at'])
      expect(head).toContain(`│ ${col}`);
    expect(out).toContain(
      '│ 33056       │ 4        │ 39500 53604 53658 53708 │ 39500 53604 53658 53708 │ 1           │ 200×4  │ 3.14s 6.16s 9.18s 12.19s │',
    );
    expect(out).not.toContain('upstream = origin');
  });

  it('draws the matrix as one table of every kind', () => {
    const out = renderMatrix(matrixDoc(), wide);
    expect(out.split('\n').filter((l) => l.startsWith('│ behaviour'))).toHaveLength(1);
    expect(out).toMatch(
      /│ behaviour +│ pipe-l4 0\.1\.0 +│ l7 0\.1\.0 +│ nginx 1\.22\.1 +│ haproxy 2\.6\.12 +│ haproxy-tcp 2\.6\.12 │ caddy +│/,
    );
  });
});

describe('terminalWidth: one place decides', () => {
  const pipe = { isTTY: false, columns: 100 };

  it('--wide → unlimited; a TTY its own width (before COLUMNS); else COLUMNS; else 100', () => {
    expect(terminalWidth({ isTTY: true, columns: 132 }, true, { COLUMNS: '90' })).toBe(Infinity);
    expect(terminalWidth({ isTTY: true, columns: 132 }, false, { COLUMNS: '90' })).toBe(132);
    expect(terminalWidth(pipe, false, { COLUMNS: '90' })).toBe(90);
    expect(terminalWidth(pipe, false, {})).toBe(100);
  });

  it('ignores a COLUMNS that is not a positive integer (an env var: no error)', () => {
    for (const bad of ['abc', '0', '-5', '80.5', '']) expect(terminalWidth(pipe, false, { COLUMNS: bad })).toBe(100);
  });
});
