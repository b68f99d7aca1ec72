import { goalMet, type Goal, type SectionResult } from './measurement.js';

/** Plain aligned text: the bench runs from the root, which has no chalk or cli-table3 of its own. */
export function textTable(head: string[], rows: string[][], rightAlign: readonly boolean[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (rightAlign[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(head), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const MB = 1024 * 1024;

function fmtUnit(v: number, unit: Goal['unit'], target: boolean): string {
  if (unit === 'x') return target ? `${v}×` : `${v.toFixed(2)}×`;
  if (unit === '%') return target ? `${v * 100} %` : `${(v * 100).toFixed(1)} %`;
  if (unit === 'MB') return `${(v / MB).toFixed(target ? 0 : 1)} MB`;
  return String(v);
}

const fmtGoal = (g: Goal): string => {
  const value = fmtUnit(g.value, g.unit, false);
  const median = g.median === undefined ? '' : ` (median ${fmtUnit(g.median, g.unit, false)})`;
  const target = fmtUnit(g.target, g.unit, true);
  if (!g.judged) return `${g.label}: ${value}${median} (no goal)`;
  return `${g.label}: ${value}${median}  goal ${g.op === '>=' ? '≥' : '≤'} ${target}  ${goalMet(g) ? 'met' : 'MISSED'}`;
};

const cpu = (x: number | null | undefined): string => (x == null ? '–' : x.toFixed(1));

export function renderSection(s: SectionResult): string {
  // Best round (lowest CPU) beside the median of all rounds: a best that the median does not come near was luck.
  const rows = s.rows.map((m) => [
    m.label,
    Math.round(m.rps).toLocaleString('en-US'),
    m.median === undefined ? '–' : Math.round(m.median.rps).toLocaleString('en-US'),
    m.p99.toFixed(2),
    m.median === undefined ? '–' : m.median.p99.toFixed(2),
    cpu(m.cpuPerReq),
    cpu(m.median?.cpuPerReq),
    String(m.ok),
    String(m.failed),
  ]);
  const rounds = s.rows[0]?.median?.rounds;
  return [
    `▶ ${s.title}`,
    `  ${s.note}`,
    ...(rows.length === 0
      ? []
      : textTable(['', 'req/s best', 'median', 'p99 ms', 'median', 'server µs/req', 'median', 'ok', 'failed'], rows, [
          false,
          true,
          true,
          true,
          true,
          true,
          true,
          true,
          true,
        ])
          .split('\n')
          .map((l) => `  ${l}`)),
    ...(rounds === undefined ? [] : [`  best of ${rounds} rounds beside their median; ok and failed are the best round's`]),
    ...(s.lines ?? []).map((l) => `  ${l}`),
    ...s.goals.map((g) => `  ${fmtGoal(g)}`),
    '',
  ].join('\n');
}

export function renderSummary(sections: SectionResult[]): string {
  const judged = sections.flatMap((s) => s.goals.filter((g) => g.judged));
  const met = judged.filter(goalMet).length;
  return `goals met: ${met}/${judged.length}\n`;
}
