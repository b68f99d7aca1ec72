import { Command } from 'commander';
import type { CommandContext } from '../context.js';
import type { SetExitCode } from './index.js';
import { runCommand } from './run.js';

/**
 * `lab watch <scenario...> [run flags]`: `lab run <scenario...> --watch`,
 * said the short way. Everything after `watch` goes to `lab run` as it is,
 * so the two never drift apart.
 */
export function watchCommand(ctx: CommandContext, setExitCode: SetExitCode): Command {
  return new Command('watch')
    .description('run scenarios and show them live in a local page: `lab run <name> --watch` (flags: `lab run --help`)')
    .argument('[args...]', 'what `lab run` takes: scenario names and its flags')
    .allowUnknownOption()
    .helpOption(false)
    .action(async (args: string[], _flags: unknown, self: Command) => {
      const run = runCommand(ctx, setExitCode).copyInheritedSettings(self);
      await run.parseAsync([...args, '--watch'], { from: 'user' });
    });
}
