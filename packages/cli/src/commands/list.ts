import { Command } from 'commander';
import { Chalk } from 'chalk';
import { PROXY_COMPONENTS } from '@keepalive-lab/proxies';
import { listScenarioFiles, loadScenario } from '@keepalive-lab/scenarios';
import { terminalWidth, wrapText } from '@keepalive-lab/report';
import type { CommandContext } from '../context.js';
import { scenarioDirs } from './scenario-refs.js';

export function listCommand(ctx: CommandContext): Command {
  return new Command('list')
    .description('scenarios with title and tags; --kinds: the proxy kinds, installed or not')
    .option('--kinds', 'list the proxy kinds instead: layer, version here, or the line that installs it')
    .action(async (flags: { kinds?: boolean }) => {
      const c = new Chalk();
      if (flags.kinds) {
        await listKinds(ctx, c);
        return;
      }
      // listScenarioFiles gives the story's order (seed experiments first), the order `lab report` shows results in.
      for (const file of await listScenarioFiles(scenarioDirs(ctx))) {
        const r = await loadScenario(file);
        if (!r.ok) {
          ctx.stdout.write(`${c.red('invalid')}  ${r.error.message}\n`);
          continue;
        }
        const s = r.value.scenario;
        const line = `${c.bold(s.name.padEnd(24))} ${s.title}  ${c.dim(s.tags.map((t) => `#${t}`).join(' '))}`;
        ctx.stdout.write(`${wrapText(line, terminalWidth(ctx.stdout), ' '.repeat(25)).join('\n')}\n`);
      }
    });
}

/** One line per registered kind: what it is and whether this machine can run it. */
async function listKinds(ctx: CommandContext, c: InstanceType<typeof Chalk>): Promise<void> {
  for (const k of PROXY_COMPONENTS) {
    const missing = k.missing();
    const state =
      missing !== null
        ? c.yellow(`not installed: ${missing.replace(/^.*Install it with: /, '')}`)
        : c.green((await k.version()) ?? (k.startable ? 'ready' : 'run by you'));
    const lines = `${c.bold(k.kind.padEnd(14))} ${k.layer}  ${k.source.padEnd(6)}  ${state}\n${' '.repeat(15)}${c.dim(k.summary)}`;
    ctx.stdout.write(`${wrapText(lines, terminalWidth(ctx.stdout), ' '.repeat(15)).join('\n')}\n`);
  }
}
