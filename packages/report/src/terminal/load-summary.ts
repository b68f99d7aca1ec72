import { ms, type Painter } from './style.js';

/** `ECONNREFUSED×3, HTTP_502×1`: the errors.* metrics in one line. */
export function errorList(m: Record<string, number>): string {
  return Object.entries(m)
    .filter(([k]) => k.startsWith('errors.'))
    .map(([k, n]) => `${k.slice('errors.'.length)}×${n}`)
    .join(', ');
}

/** The few lines `lab load` prints under its port table: what a client alone can know. */
export function renderLoadSummary(m: Record<string, number>, p: Painter): string {
  const { c } = p;
  const failed = m['requests.failed'] ?? 0;
  const errors = errorList(m);
  const total = m['requests.total'] ?? 0;
  const duration = m.duration ?? 0;
  const rate = duration > 0 ? Math.round((total * 1000) / duration) : 0;
  const origin = m['origin.distinctPorts'];
  return [
    `${c.bold('requests')}  ${m['requests.ok']} ok, ${failed > 0 ? c.red(`${failed} failed`) : '0 failed'}${errors ? `  (${errors})` : ''}`,
    `${c.bold('client')}    ${m['client.distinctPorts']} distinct ports, ${m['client.connections']} connections, ${m['client.reusedRequests']} reused requests`,
    `${c.bold('origin')}    ${origin === undefined ? c.dim('ports unknown (no x-lab-origin-port header)') : `${origin} distinct ports`}`,
    `${c.bold('latency')}   p50 ${ms(m['latency.p50'])}  p99 ${ms(m['latency.p99'])}  max ${ms(m['latency.max'])}  first ${ms(m['latency.first'])}`,
    `${c.bold('duration')}  ${ms(duration)}  (${rate} req/s)`,
    '',
  ].join('\n');
}
