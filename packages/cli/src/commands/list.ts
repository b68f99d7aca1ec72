import { Command } from 'commander';
import { Chalk } from 'chalk';
import { listScenarioFiles, loadScenario } from '@keepalive-lab/scenarios';
import type { CommandContext } from '../context.js';
import { scenarioDirs } from './scenario-refs.js';

export function listCommand(ctx: CommandContext): Command {
  return new Command('list').description('scenarios with title and tags').action(async () => {
    const c = new Chalk();
    for (const file of await listScenarioFiles(scenarioDirs(ctx))) {
      const r = await loadScenario(file);
      if (!r.ok) {
        ctx.stdout.write(`${c.red('invalid')}  ${r.error.message}\n`);
        continue;
      }
      const s = r.value.scenario;
      ctx.stdout.write(`${c.bold(s.name.padEnd(24))} ${s.title}  ${c.dim(s.tags.map((t) => `#${t}`).join(' '))}\n`);
    }
  });
}
