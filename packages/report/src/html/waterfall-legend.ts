import { FAILURE_KINDS } from '@keepalive-lab/scenarios';
import type { ChartData } from './chart-data.js';
import { ms } from './format.js';
import { escapeHtml as h } from './markdown.js';
import { CONNECTION_COLOURS, FAILURE_STYLE, MARK_COLOUR, QUEUED_COLOUR } from './palette.js';

const item = (key: string, swatch: string, text: string, title: string) =>
  `<li data-legend="${key}" title="${h(title)}">${swatch}${text}</li>`;
const box = (colour: string, cls = 'swatch') => `<span class="${cls}" style="background:${colour}"></span>`;

/**
 * What the waterfall's marks mean, for the marks this result has: a failure
 * kind, the queued span, idle closes and wave lines appear only when drawn.
 */
export function waterfallLegend(c: ChartData): string {
  const connections = `linear-gradient(90deg,${CONNECTION_COLOURS.slice(0, 4).join(',')})`;
  const items: string[] = [];
  if (c.f.some((k) => k < 0)) {
    items.push(
      item('request', box(connections), 'request on its connection (colour: the origin connection)', 'from getting a socket to its answer'),
    );
  }
  if (c.queued > 0) {
    const text = `queued in the client's pool (${c.queued} request${c.queued === 1 ? '' : 's'})`;
    items.push(
      item('queued', box(QUEUED_COLOUR, 'swatch thin'), text, 'from the request being made to getting a socket, drawn under its row'),
    );
  }
  const byKind = new Map<number, Map<string, number>>();
  c.f.forEach((k, i) => {
    if (k < 0) return;
    const outcomes = byKind.get(k) ?? new Map<string, number>();
    const st = c.st[i] ?? '';
    outcomes.set(st, (outcomes.get(st) ?? 0) + 1);
    byKind.set(k, outcomes);
  });
  for (const [k, outcomes] of [...byKind].sort((a, b) => a[0] - b[0])) {
    const kind = FAILURE_KINDS[k];
    if (kind === undefined) continue;
    const style = FAILURE_STYLE[kind];
    const counts = [...outcomes].map(([st, n]) => `${kind === 'http' ? `HTTP ${st}` : st} ×${n}`).join(', ');
    items.push(item(kind, box(style.colour, 'swatch failed'), `${h(style.label)}: ${h(counts)}`, style.why));
  }
  if (c.idle.length > 0) {
    items.push(
      item(
        'idle',
        `<span class="mark" style="color:${MARK_COLOUR}">▼</span>`,
        `origin closed an idle connection (${c.idle.length})`,
        "the origin's conn-close event with reason idle-timeout",
      ),
    );
  }
  if (c.waveLines) {
    items.push(
      item(
        'wave',
        `<span class="wave-mark" style="border-color:${MARK_COLOUR}"></span>`,
        'completion wave (answers after a gap)',
        wavesText(c),
      ),
    );
  }
  return `<ul class="legend">${items.join('')}</ul>`;
}

/** `4 completion waves (gap > 500 ms): 3.03 s ×5 · 6.04 s ×5 · …`: the terminal's waves line. */
export function wavesText(c: ChartData): string {
  const n = c.waves.length;
  const parts = c.waves.slice(0, 8).map(([t, count]) => `${ms(t)} ×${count}`);
  const more = n > 8 ? ` … (+${n - 8})` : '';
  return `${n} completion wave${n === 1 ? '' : 's'} (gap > ${ms(c.batchGap)}): ${parts.join(' · ')}${more}`;
}
