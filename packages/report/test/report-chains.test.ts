import { describe, expect, it } from 'vitest';
import { buildReport, viewsOf } from '../src/index.js';
import { fixtureDoc } from './fixture-docs.js';

/** The comparison in the HTML report: an L4 result shows three hops (client → upstream → origin), a direct one two. */
describe('the HTML report: port chains and distinct ports per hop', () => {
  it('shows the pipe-l4 run as client → upstream → origin, request by request, with its distinct ports per hop', () => {
    const l4 = fixtureDoc('keepalive-pipe-l4');
    const direct = fixtureDoc('pool-head-of-line');
    const html = buildReport([...viewsOf(l4), ...viewsOf(direct)], { generatedAt: 'fixed' });
    // Distinct ports per hop: 5 client, 5 upstream, 5 origin for the pipe; a direct run has no upstream column value.
    expect(html).toContain(
      '<tr><td>keepalive-pipe-l4</td><td class="num">5</td><td class="num">5</td><td class="num">5</td><td class="num">20</td></tr>',
    );
    // Request 1's chain, read from the fixture's own record: three hops for the pipe.
    const r1 = l4.requests[0];
    expect(html).toContain(`<td class="mono">${r1?.clientPort} → ${r1?.upstreamPort} → ${r1?.originPort}</td>`);
    expect(html).toMatch(/Port chains, request by request \(client → upstream → origin\)/);
  });
});
