import { goalMet, type Goal, type SectionResult } from './measurement.js';

/** Plain aligned text: the bench runs from the root, which has no chalk or cli-table3 of its own. */
function table(head: string[], rows: string[][], rightAlign: boolean[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (rightAlign[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(head), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const fmtGoal = (g: Goal): string => {
  const value = g.unit === 'x' ? `${g.value.toFixed(2)}×` : `${(g.value * 100).toFixed(1)} %`;
  const target = g.unit === 'x' ? `${g.target}×` : `${g.target * 100} %`;
  if (!g.judged) return `${g.label}: ${value} (no goal)`;
  return `${g.label}: ${value}  goal ${g.op === '>=' ? '≥' : '≤'} ${target}  ${goalMet(g) ? 'met' : 'MISSED'}`;
};

export function renderSection(s: SectionResult): string {
  const rows = s.rows.map((m) => [m.label, Math.round(m.rps).toLocaleString('en-US'), m.p99.toFixed(2), String(m.ok), String(m.failed)]);
  return [
    `▶ ${s.title}`,
    `  ${s.note}`,
    table(['', 'req/s', 'p99 ms', 'ok', 'failed'], rows, [false, true, true, true, true])
      .split('\n')
      .map((l) => `  ${l}`)
      .join('\n'),
    ...s.goals.map((g) => `  ${fmtGoal(g)}`),
    '',
  ].join('\n');
}

export function renderSummary(sections: SectionResult[]): string {
  const judged = sections.flatMap((s) => s.goals.filter((g) => g.judged));
  const met = judged.filter(goalMet).length;
  return `goals met: ${met}/${judged.length}\n`;
}
