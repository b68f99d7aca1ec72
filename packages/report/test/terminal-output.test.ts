import { describe, expect, it } from 'vitest';
import { compareViews, painter, renderComparison, renderResult, renderTimeline, viewsOf } from '../src/index.js';
import { closeRunDoc, fixtureDoc } from './fixture-docs.js';

// Colour off and a fixed width: the snapshots are what a user sees in an 100-column terminal.
const plain = { color: false, width: 100 };

describe('terminal output (snapshots, colour off, 100 columns)', () => {
  it('show: a saved keepalive-l4 result renders as lab run printed it', () => {
    expect(renderResult(fixtureDoc('keepalive-l4'), plain)).toMatchSnapshot();
  });

  it('show: a variant result renders each variant in turn', () => {
    const out = renderResult(fixtureDoc('pool-head-of-line'), plain);
    expect(out).toContain('variant pool-5: maxSockets 5');
    expect(out).toContain('variant unlimited: maxSockets unlimited');
    expect(out).toMatchSnapshot();
  });

  it('compare: keepalive-l4 against keepalive-pipe-l4 shows 5 → 20 → 20 against 5 → 5 → 5', () => {
    const views = [...viewsOf(fixtureDoc('keepalive-l4')), ...viewsOf(fixtureDoc('keepalive-pipe-l4'))];
    const out = renderComparison(compareViews(views), plain);
    expect(out).toMatch(/keepalive-l4\s+5 → 20 → 20/);
    expect(out).toMatch(/keepalive-pipe-l4\s+5 → 5 → 5/);
    expect(out).toMatch(/◆ │ origin\.distinctPorts\s+│ 20\s+│ 5 /);
    expect(out).toMatchSnapshot();
  });

  it('compare: a variant result compares per variant', () => {
    const cmp = compareViews(viewsOf(fixtureDoc('pool-head-of-line')));
    expect(cmp.columns.map((c) => c.label)).toEqual(['pool-head-of-line:pool-5', 'pool-head-of-line:unlimited']);
    const ports = cmp.metrics.find((m) => m.metric === 'client.distinctPorts');
    expect(ports).toMatchObject({ values: [5, 20], differs: true, key: true });
    expect(cmp.metrics.find((m) => m.metric === 'client.reusedRequests')?.values).toEqual([15, 0]);
  });

  it("compare: reuse.ratio is the run's own (the origin's side), never the client's recomputed under its name", () => {
    // The blog's forwarder: the client reuses 15 of 20 sockets, the origin sees every request on a new connection.
    const l4 = fixtureDoc('keepalive-l4');
    const pipe = fixtureDoc('keepalive-pipe-l4');
    l4.metrics['reuse.ratio'] = 0;
    pipe.metrics['reuse.ratio'] = 0.75;
    const cmp = compareViews([...viewsOf(l4), ...viewsOf(pipe)]);
    expect(cmp.metrics.find((m) => m.metric === 'client.reusedRequests')?.values).toEqual([15, 15]);
    expect(cmp.metrics.find((m) => m.metric === 'reuse.ratio')).toMatchObject({ values: [0, 0.75], differs: true });
  });

  it('timeline: keepalive-l4 shows 4 waves standing on 4 columns of idle closes', () => {
    const doc = fixtureDoc('keepalive-l4');
    const out = renderTimeline(doc.requests, doc.events, painter(plain));
    const rows = out.split('\n').filter((l) => l.startsWith('client '));
    expect(rows).toHaveLength(5); // one row per client connection
    for (const row of rows) expect(row.match(/█/g)?.length).toBe(4);
    const idle = out.split('\n').find((l) => l.startsWith('idle closes 20')) ?? '';
    expect(idle.match(/▼/g)?.length).toBe(4);
    expect(out).toMatchSnapshot();
  });

  it('timeline --timeline origin: one row per origin connection, each starting when the origin got its request', () => {
    const doc = fixtureDoc('keepalive-l4');
    const out = renderTimeline(doc.requests, doc.events, painter(plain), { rows: 'origin' });
    expect(out.split('\n').filter((l) => l.startsWith('origin#'))).toHaveLength(20);
    expect(out).toMatchSnapshot();
  });

  it('timeline: 1,200 requests merge neighbouring connections into rows and say so', () => {
    const doc = closeRunDoc(1200);
    const out = renderTimeline(doc.requests, doc.events, painter(plain));
    const rows = out.split('\n').filter((l) => l.startsWith('#'));
    expect(rows).toHaveLength(24);
    expect(rows[0]).toMatch(/^#1–50 /);
    expect(rows[23]).toMatch(/^#1151–1200 /);
    expect(out).toContain('1200 requests, 1 column ≈');
    // The legend wraps within the width, under the bars.
    expect(out.replace(/\n {16}/g, ' ')).toContain('1200 client connections merged 50 to a row (#first–last, in order of first use)');
    expect(rows[0]).toContain('x'); // the one failed request is not averaged away
    expect(out).toMatchSnapshot();
  });
});
