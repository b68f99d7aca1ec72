import type { Command } from 'commander';
import type { CommandContext } from '../context.js';

/** Sets the process exit code to at least `code` (commands report 1 for a failed run). */
export type SetExitCode = (code: number) => void;

/** Each command lives in its own file and adds itself to the program here. */
export function registerCommands(program: Command, ctx: CommandContext, setExitCode: SetExitCode): void {
  void program;
  void ctx;
  void setExitCode;
}
