import type { RequestRecord } from '@keepalive-lab/core';
import type { ResultDocument } from '@keepalive-lab/scenarios';
import { renderChecks, renderMetrics } from './checks.js';
import { renderPortTable } from './port-table.js';
import { renderRequestTable } from './request-table.js';
import { painter, type RenderOptions } from './style.js';
import { renderTimeline } from './timeline.js';

/**
 * What `lab run` prints for a result, and `lab show` prints again from the
 * saved file: the same function, so the two can never drift apart.
 */
export function renderResult(doc: ResultDocument, o: RenderOptions): string {
  const p = painter(o);
  const out: string[] = [];
  out.push(p.c.bold(`${doc.scenario.name}`) + p.c.dim(` — ${doc.scenario.title}`));
  const runs = doc.variants ?? [{ name: null, title: null, metrics: doc.metrics }];
  for (const v of runs) {
    const requests: RequestRecord[] = v.name === null ? doc.requests : doc.requests.filter((r) => r.variant === v.name);
    if (v.name !== null) out.push('', p.c.bold.underline(`variant ${v.name}${v.title ? `: ${v.title}` : ''}`));
    out.push('', p.c.bold('Ports, per client connection'), renderPortTable(requests, p));
    out.push('', p.c.bold('Requests'), renderRequestTable(requests, p));
    out.push('', p.c.bold('Timeline'), renderTimeline(requests, p));
    out.push('', p.c.bold('Metrics'), renderMetrics(v.metrics, p));
  }
  if (doc.expectations.length > 0) out.push('', p.c.bold('Checks'), renderChecks(doc.expectations, p));
  out.push('', verdictLine(doc, p.c));
  return `${out.join('\n')}\n`;
}

export function verdictLine(doc: Pick<ResultDocument, 'verdict' | 'expectations' | 'scenario'>, c: ReturnType<typeof painter>['c']): string {
  const failed = doc.expectations.filter((e) => !e.pass).length;
  return doc.verdict === 'reproduced'
    ? c.green.bold(`✓ reproduced`) + c.dim(` (${doc.expectations.length} checks hold)`)
    : c.red.bold(`✗ not reproduced`) + c.dim(` (${failed} of ${doc.expectations.length} checks failed)`);
}
