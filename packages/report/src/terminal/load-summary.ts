import { ms, type Painter } from './style.js';

/** `ECONNREFUSED×3, HTTP_502×1`: the errors.* metrics in one line. */
export function errorList(m: Record<string, number>): string {
  return Object.entries(m)
    .filter(([k]) => k.startsWith('errors.'))
    .map(([k, n]) => `${k.slice('errors.'.length)}×${n}`)
    .join(', ');
}

/** `12.3 kB`: decimal units, as wrk and autocannon print them. */
function bytes(n: number | undefined): string {
  if (n === undefined) return '–';
  const units = ['B', 'kB', 'MB', 'GB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

const perSecond = (v: number | undefined, unit: string): string => (v === undefined ? '–' : `${v} ${unit}`);
const bytesPerSecond = (v: number | undefined): string => (v === undefined ? '–' : `${bytes(v)}/s`);

/** The few lines `lab load` prints under its port table: what a client alone can know. */
export function renderLoadSummary(m: Record<string, number>, p: Painter): string {
  const { c } = p;
  const failed = m['requests.failed'] ?? 0;
  const errors = errorList(m);
  const duration = m.duration ?? 0;
  // Answers per second (lab load's own figure); a caller without it gets requests over the duration.
  const rate = m['throughput.requests'] ?? (duration > 0 ? Math.round(((m['requests.total'] ?? 0) * 1000) / duration) : 0);
  const origin = m['origin.distinctPorts'];
  const spread = ['p50', 'p90', 'p99', 'p99.9', 'max'].map((k) => `${k} ${ms(m[`latency.${k}`])}`).join('  ');
  const lines = [
    `${c.bold('requests')}  ${m['requests.ok']} ok, ${failed > 0 ? c.red(`${failed} failed`) : '0 failed'}${errors ? `  (${errors})` : ''}`,
    `${c.bold('client')}    ${m['client.distinctPorts']} distinct ports, ${m['client.connections']} connections, ${m['client.reusedRequests']} reused requests`,
    `${c.bold('origin')}    ${origin === undefined ? c.dim('ports unknown (no x-lab-origin-port header)') : `${origin} distinct ports`}`,
    `${c.bold('latency')}   ${spread}  first ${ms(m['latency.first'])}`,
    `${c.bold('duration')}  ${ms(duration)}  (${rate} req/s)`,
  ];
  if (m['bytes.read'] !== undefined) {
    const read = `${bytes(m['bytes.read'])} (${bytesPerSecond(m['throughput.bytesRead'])})`;
    lines.push(`${c.bold('bytes')}     read ${read}, sent ${bytes(m['bytes.sent'])} (${bytesPerSecond(m['throughput.bytesSent'])})`);
  }
  if (m['rate.offered'] !== undefined) {
    const late = m['rate.late'] ?? 0;
    const lateText = late > 0 ? c.yellow(`${late} late`) : '0 late';
    lines.push(
      `${c.bold('rate')}      offered ${m['rate.offered']} req/s, issued ${perSecond(m['rate.issued'], 'req/s')}; ${lateText} ` +
        `(came due with every -c slot busy), lag max ${ms(m['rate.lagMax'])}`,
    );
  }
  return [...lines, ''].join('\n');
}
