import type { LabEvent, RequestRecord } from '@keepalive-lab/core';
import type { ResultDocument } from '@keepalive-lab/scenarios';
import { renderChecks, renderMetrics } from './checks.js';
import { renderPortTable } from './port-table.js';
import { renderRequestTable } from './request-table.js';
import { ms, painter, type Painter, type RenderOptions } from './style.js';
import { completionWaves } from '../model/waves.js';
import { renderTimeline } from './timeline.js';
import { renderHopHeaders } from './hop-headers.js';
import { renderPeerLogs } from './peer-logs.js';
import { isAboutTimeouts, renderIdleTimeouts } from './idle-timeouts.js';
import { renderRaceTable } from './race-table.js';
import { DEFAULT_WIDTH } from './width.js';
import { wrapText } from './wrap.js';

/**
 * What `lab run` prints for a result, and `lab show` prints again from the
 * saved file: the same function, so the two can never drift apart.
 */
export function renderResult(doc: ResultDocument, o: RenderOptions): string {
  const p = painter(o);
  // Tables and the timeline fit themselves; the lines between them wrap (a table's line never does: that is noise).
  const prose = (s: string) => wrapText(s, p.width, '  ').join('\n');
  const out: string[] = [];
  out.push(prose(p.c.bold(`${doc.scenario.name}`) + p.c.dim(` — ${doc.scenario.title}`)));
  const runs = doc.variants ?? [{ name: null, title: null, metrics: doc.metrics, peers: doc.peers }];
  for (const v of runs) {
    const requests: RequestRecord[] = v.name === null ? doc.requests : doc.requests.filter((r) => r.variant === v.name);
    const events: LabEvent[] = v.name === null ? doc.events : doc.events.filter((e) => e.variant === v.name);
    if (v.name !== null) out.push('', prose(p.c.bold.underline(`variant ${v.name}${v.title ? `: ${v.title}` : ''}`)));
    out.push('', p.c.bold('Ports, per client connection'), renderPortTable(requests, p));
    out.push('', p.c.bold('Requests'), renderRequestTable(requests, p));
    out.push(
      '',
      p.c.bold('Timeline'),
      renderTimeline(requests, events, p, { rows: o.timeline ?? 'client' }),
      prose(wavesLine(requests, doc.scenario.analysis?.batchGap ?? 250, p)),
    );
    const race = renderRaceTable(requests, events, p);
    if (race !== null) out.push('', p.c.bold("Requests that crossed the origin's close"), race);
    const hop = renderHopHeaders(requests, events, p);
    if (hop !== null) out.push('', p.c.bold('Keep-alive headers'), prose(hop));
    const logs = renderPeerLogs(v.peers, requests, p);
    if (logs !== null) out.push('', p.c.bold('What the proxy logged'), prose(logs));
    out.push('', p.c.bold('Metrics'), renderMetrics(v.metrics, p));
  }
  if (doc.expectations.length > 0) out.push('', p.c.bold('Checks'), renderChecks(doc.expectations, p));
  out.push('', prose(verdictLine(doc, p.c)));
  return `${out.join('\n')}\n`;
}

/**
 * The lines `lab run` prints before running a scenario (name, title, story);
 * `lab show` prints them again before the rendered result.
 */
export function renderRunHeader(
  scenario: ResultDocument['scenario'],
  o: Pick<RenderOptions, 'color'> & Partial<Pick<RenderOptions, 'width'>>,
): string {
  const p = painter({ color: o.color, width: o.width ?? DEFAULT_WIDTH });
  const c = p.c;
  const prose = (s: string, indent = '') => wrapText(s, p.width, indent).join('\n');
  const idle = isAboutTimeouts(scenario) ? `${prose(renderIdleTimeouts(scenario, p), '    ')}\n\n` : '';
  return `${prose(`${c.bold.cyan(`▶ ${scenario.name}`)}  ${scenario.title}`)}\n${prose(c.dim(scenario.story.trim()))}\n\n${idle}`;
}

export function verdictLine(
  doc: Pick<ResultDocument, 'verdict' | 'expectations' | 'scenario'>,
  c: ReturnType<typeof painter>['c'],
): string {
  const failed = doc.expectations.filter((e) => !e.pass).length;
  if (doc.expectations.length === 0) return c.bold('✓ ran') + c.dim(' (the scenario has no checks)');
  const skipped = doc.expectations.filter((e) => e.skipped !== undefined).length;
  return doc.verdict === 'reproduced'
    ? c.green.bold(`✓ reproduced`) +
        c.dim(` (${doc.expectations.length - skipped} checks hold${skipped > 0 ? `, ${skipped} skipped: n/a` : ''})`)
    : c.red.bold(`✗ not reproduced`) + c.dim(` (${failed} of ${doc.expectations.length} checks failed)`);
}

/** `4 waves: 3.04s ×5 · 6.06s ×5 ...`: the stall in one line. */
function wavesLine(requests: RequestRecord[], gap: number, p: Painter): string {
  const waves = completionWaves(requests, gap);
  const parts = waves.slice(0, 8).map((w) => `${ms(w.t)} ×${w.n}`);
  const more = waves.length > 8 ? ` … (+${waves.length - 8})` : '';
  return p.c.dim(`${waves.length} completion wave${waves.length === 1 ? '' : 's'} (gap > ${ms(gap)}): `) + parts.join(' · ') + more;
}
