import type { ZodTypeAny } from 'zod';
import { LOAD_METRICS } from '@keepalive-lab/client';
import { PROXY_COMPONENTS } from '@keepalive-lab/proxies';
import { METRICS } from './metric-catalogue.js';
import { TOPOLOGIES, topologyCell } from './reference/metric-topologies.js';
import { scenarioFieldsTable } from './reference/scenario-fields.js';

/**
 * The parts of docs/reference.md read off the code, so the page cannot fall
 * behind it: the scenario fields (the schema), the proxy kinds with their
 * knobs (the registry) and the metrics (the catalogue, and which topologies
 * have each). `pnpm docs:reference` writes them between their markers, with
 * the commands (read off the cli, which this package cannot import); a test
 * fails when the page differs.
 */

const esc = (s: string): string => s.replace(/\|/g, '\\|');

export function kindsTable(): string {
  const rows = PROXY_COMPONENTS.map((c) => {
    const peer = c.peer
      ? `Debian \`${c.peer.debianPackage}\` (\`${c.peer.envVar}\` picks a binary)`
      : c.source === 'npm'
        ? 'npm dependency'
        : c.source === 'user'
          ? 'you run it'
          : 'the lab';
    const knobs = Object.entries(c.knobs as Record<string, ZodTypeAny>)
      .map(([k, t]) => `\`${k}\`${t.description ? `: ${esc(t.description)}` : ''}`)
      .join('<br>');
    const where = c.directivesIn ? `<br>(\`directives:\` go in ${esc(c.directivesIn)})` : '';
    return `| \`${c.kind}\` | ${c.layer} | ${esc(c.summary)} | ${peer} | ${knobs === '' ? '–' : knobs}${where} |`;
  });
  return ['| kind | layer | what it is | comes from | knobs (`proxy:` fields) |', '| --- | --- | --- | --- | --- |', ...rows].join('\n');
}

export function metricsTable(): string {
  const rows = METRICS.map(
    (m) => `| \`${m.name}\` | ${esc(m.meaning)} | ${m.from} | ${TOPOLOGIES.map((t) => topologyCell(m.name, t)).join(' | ')} |`,
  );
  const head = `| metric | what it counts | read from | ${TOPOLOGIES.join(' | ')} |`;
  return [head, `| --- | --- | --- |${' --- |'.repeat(TOPOLOGIES.length)}`, ...rows].join('\n');
}

/** What `lab load` adds to a run's metrics (its summary, `--json` and `--expect`): the client's figures only. */
export function loadMetricsTable(): string {
  return ['| metric | what it counts |', '| --- | --- |', ...LOAD_METRICS.map((m) => `| \`${m.name}\` | ${esc(m.meaning)} |`)].join('\n');
}

/**
 * The page with each generated section replaced between `<!-- generated:NAME -->` and `<!-- /generated -->`:
 * this package's (fields, kinds, metrics) and any `more` a caller makes (the commands); a section no one makes is left as it is.
 */
export function withGeneratedSections(page: string, more: Record<string, string> = {}): string {
  const sections: Record<string, string> = {
    fields: scenarioFieldsTable(),
    kinds: kindsTable(),
    metrics: metricsTable(),
    loadmetrics: loadMetricsTable(),
    ...more,
  };
  return page.replace(
    /(<!-- generated:([a-z]+) -->)[\s\S]*?(<!-- \/generated -->)/g,
    (whole, open: string, name: string, close: string) => {
      const body = sections[name];
      return body === undefined ? whole : `${open}\n${body}\n${close}`;
    },
  );
}
