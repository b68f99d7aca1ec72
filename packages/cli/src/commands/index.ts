import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { explainCommand } from './explain.js';
import { listCommand } from './list.js';
import { loadCommand } from './load.js';
import { originCommand } from './origin.js';
import { proxyCommand } from './proxy.js';
import { runCommand } from './run.js';
import { showCommand } from './show.js';
import { compareCommand } from './compare.js';
import { reportCommand } from './report.js';
import { matrixCommand } from './matrix.js';
import { watchCommand } from './watch.js';

/** Sets the process exit code to at least `code` (commands report 1 for a failed run). */
export type SetExitCode = (code: number) => void;

/** Each command lives in its own file and adds itself to the program here, one line each. */
export function registerCommands(program: Command, ctx: CommandContext, setExitCode: SetExitCode): void {
  program.addCommand(listCommand(ctx));
  program.addCommand(explainCommand(ctx));
  program.addCommand(runCommand(ctx, setExitCode));
  program.addCommand(loadCommand(ctx, setExitCode));
  program.addCommand(proxyCommand(ctx));
  program.addCommand(originCommand(ctx));
  program.addCommand(showCommand(ctx));
  program.addCommand(compareCommand(ctx));
  program.addCommand(reportCommand(ctx));
  program.addCommand(matrixCommand(ctx, setExitCode));
  program.addCommand(watchCommand(ctx, setExitCode));
}
