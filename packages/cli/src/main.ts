import { Command, CommanderError } from 'commander';
import { isLabError } from '@keepalive-lab/core';
import { processContext, type CommandContext } from './context.js';
import { registerCommands } from './commands/index.js';
import { describeError } from './describe-error.js';

/**
 * Runs `lab` with argv and returns the exit code (docs/reference.md: 0 success or
 * reproduced, 1 not reproduced or run failed, 2 bad usage or input). Every
 * error becomes a message and a code here, in one place.
 */
export async function main(argv: string[], ctx: CommandContext = processContext()): Promise<number> {
  const program = new Command('lab')
    .description('keepalive-lab: see what proxies do to HTTP keep-alive, L4 against L7')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (s) => ctx.stdout.write(s),
      writeErr: (s) => ctx.stderr.write(s),
    });
  let exitCode = 0;
  await registerCommands(
    program,
    ctx,
    (code) => {
      exitCode = Math.max(exitCode, code);
    },
    argv,
  );
  // addCommand() does not inherit these: without them a subcommand's usage error would process.exit().
  for (const cmd of program.commands) cmd.copyInheritedSettings(program);
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version land here with exitCode 0; usage errors were printed by commander.
      return err.exitCode === 0 ? 0 : 2;
    }
    if (isLabError(err)) {
      ctx.stderr.write(describeError(err));
      return err.exitCode;
    }
    ctx.stderr.write(
      `lab: internal error (a bug, please report it):\n${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    return 1;
  }
}
