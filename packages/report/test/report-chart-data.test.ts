import { readFileSync } from 'node:fs';
import { FAILURE_KINDS, type ResultDocument } from '@keepalive-lab/scenarios';
import { describe, expect, it } from 'vitest';
import { chartData } from '../src/html/chart-data.js';
import { CONNECTION_COLOURS, FAILURE_STYLE, QUEUED_COLOUR } from '../src/html/palette.js';
import { waterfallLegend } from '../src/html/waterfall-legend.js';
import { type ResultView, viewsOf } from '../src/model/views.js';
import { fixturePath } from './fixture-docs.js';

/** The first view of a committed real-run result (see packages/cli/test/report-page.ts for how each was made). */
function view(name: string): ResultView {
  const v = viewsOf(JSON.parse(readFileSync(fixturePath(name), 'utf8')) as ResultDocument)[0];
  if (!v) throw new Error(`${name}: no view`);
  return v;
}
const kindsOf = (name: string) => {
  const c = chartData(view(name));
  return new Set(c.f.map((k) => (k < 0 ? 'answered' : FAILURE_KINDS[k])));
};

describe("the waterfall's data", () => {
  it('gives every failure kind its own colour, none of them a connection colour or the queued grey', () => {
    const colours = FAILURE_KINDS.map((k) => FAILURE_STYLE[k].colour);
    expect(new Set(colours).size).toBe(FAILURE_KINDS.length);
    expect(colours.filter((c) => CONNECTION_COLOURS.includes(c) || c === QUEUED_COLOUR)).toEqual([]);
  });

  it('classes each request by what the client got: a reset after a 200 head is a reset, not an answer', () => {
    expect(kindsOf('keepalive-direct-reset')).toEqual(new Set(['reset']));
    expect(kindsOf('origin-down')).toEqual(new Set(['http', 'answered']));
    expect(kindsOf('close-direct-refused')).toEqual(new Set(['refused', 'answered']));
    expect(kindsOf('keepalive-modern-node-timeout')).toEqual(new Set(['timeout']));
    expect(kindsOf('idle-race-direct')).toEqual(new Set(['eof', 'answered']));
    const reset = chartData(view('keepalive-direct-reset'));
    expect(new Set(reset.st)).toEqual(new Set(['ECONNRESET after a 200 head']));
  });

  it('queues a request only behind the one ahead of it on its own connection; refused ones (no port) never queue', () => {
    const refused = chartData(view('close-direct-refused'));
    expect(refused.queued).toBe(0);
    expect(refused.q).toEqual(refused.s);
    // Twenty refused at once (close-direct's own concurrency): none waited for another.
    const base = view('close-direct-refused');
    const atOnce = base.requests.map((r, i) => ({
      ...r,
      start: i * 0.2,
      end: 5 + i * 0.2,
      status: null,
      error: 'ECONNREFUSED',
      clientPort: null,
    }));
    const burst = chartData({ ...base, requests: atOnce });
    expect([burst.queued, burst.q]).toEqual([0, burst.s]);
    const stall = chartData(view('keepalive-l4'));
    expect(stall.queued).toBe(15); // 20 requests on 5 sockets
    expect(waterfallLegend(stall)).toContain('data-legend="queued"');
    expect(waterfallLegend(refused)).not.toContain('data-legend="queued"');
  });

  it('names each failure kind present in the legend, with its colour and the statuses or errors seen', () => {
    const legend = waterfallLegend(chartData(view('origin-down')));
    expect(legend).toContain(`data-legend="http"`);
    expect(legend).toContain(`background:${FAILURE_STYLE.http.colour}`);
    expect(legend).toContain('HTTP 502 ×10');
    expect(legend).not.toContain('data-legend="reset"');
  });

  it('splits the blog stall into its four completion waves of five', () => {
    const c = chartData(view('keepalive-l4'));
    expect(c.waves.map(([, n]) => n)).toEqual([5, 5, 5, 5]);
    expect(c.waves.map(([t]) => Math.round(t / 1000))).toEqual([3, 6, 9, 12]);
  });
});
