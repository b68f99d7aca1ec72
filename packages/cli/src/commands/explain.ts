import { Command } from 'commander';
import { Chalk } from 'chalk';
import { formatDuration } from '@keepalive-lab/core';
import { chainOf, type Scenario } from '@keepalive-lab/scenarios';
import { isAboutTimeouts, renderIdleTimeouts, terminalWidth, wrapText } from '@keepalive-lab/report';
import type { CommandContext } from '../context.js';
import { loadAll } from './scenario-refs.js';

export function explainCommand(ctx: CommandContext): Command {
  return new Command('explain')
    .description('the story of a scenario, without running it')
    .argument('<name>', 'scenario name or file.yaml')
    .action(async (name: string) => {
      const [loaded] = await loadAll(ctx, [name], false, []);
      if (loaded) ctx.stdout.write(wrapText(explainText(loaded.scenario, new Chalk()), terminalWidth(ctx.stdout), '    ').join('\n'));
    });
}

/** The story, the topology and what the run will check: everything but figures. */
export function explainText(s: Scenario, c: InstanceType<typeof Chalk>): string {
  const lines = [c.bold(`${s.name} — ${s.title}`), '', s.story.trim(), '', c.bold('Topology')];
  const client = s.client;
  lines.push(
    `  client  ${client.requests} ${client.method} requests, ` +
      `${client.concurrency ?? client.requests} at once, keep-alive ${client.keepAlive ? 'on' : 'off'}, ` +
      `pool ${client.maxSockets === 0 ? 'unlimited' : client.maxSockets} (${client.engine} engine)`,
  );
  for (const [i, p] of chainOf(s).entries()) lines.push(`  proxy   ${p.kind}${chainOf(s).length > 1 ? ` (hop ${i + 1})` : ''}`);
  for (const o of s.origins) {
    lines.push(
      `  origin  ${o.name}: keepAliveTimeout ${formatDuration(o.keepAliveTimeout)}, delay ${formatDuration(o.delay)}` +
        `${o.maxRequestsPerSocket ? `, max ${o.maxRequestsPerSocket} requests/socket` : ''}`,
    );
  }
  const checks = (label: string, list: Scenario['expect']) => {
    if (list.length === 0) return;
    lines.push('', c.bold(label));
    for (const e of list) {
      const op = e.equals !== undefined ? `= ${e.equals}` : e.atLeast !== undefined ? `≥ ${e.atLeast}` : `≤ ${e.atMost}`;
      lines.push(`  ${e.metric} ${op}${e.why ? c.dim(`  — ${e.why}`) : ''}`);
    }
  };
  if (isAboutTimeouts(s)) lines.push('', renderIdleTimeouts(s, { c, width: 100 }));
  checks('Checks', s.expect);
  for (const v of s.variants ?? []) checks(`Checks, variant ${v.name}${v.title ? ` (${v.title})` : ''}`, v.expect);
  return `${lines.join('\n')}\n`;
}
