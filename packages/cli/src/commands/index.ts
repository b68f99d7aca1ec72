import type { Command } from 'commander';
import type { CommandContext } from '../context.js';

/** Sets the process exit code to at least `code` (commands report 1 for a failed run). */
export type SetExitCode = (code: number) => void;

type MakeCommand = (ctx: CommandContext, setExitCode: SetExitCode) => Promise<Command>;

/**
 * Each command lives in its own file, added here one line each, in the
 * order `lab --help` lists them. Imported only when needed: `lab proxy` and
 * `lab origin` never load the scenarios or the report (start-up and RSS of
 * a long-running server: packages/cli/bin/compiled.js).
 */
const COMMANDS: Record<string, MakeCommand> = {
  list: async (ctx) => (await import('./list.js')).listCommand(ctx),
  explain: async (ctx) => (await import('./explain.js')).explainCommand(ctx),
  run: async (ctx, set) => (await import('./run.js')).runCommand(ctx, set),
  load: async (ctx, set) => (await import('./load.js')).loadCommand(ctx, set),
  proxy: async (ctx) => (await import('./proxy.js')).proxyCommand(ctx),
  origin: async (ctx) => (await import('./origin.js')).originCommand(ctx),
  show: async (ctx) => (await import('./show.js')).showCommand(ctx),
  compare: async (ctx) => (await import('./compare.js')).compareCommand(ctx),
  report: async (ctx) => (await import('./report.js')).reportCommand(ctx),
  matrix: async (ctx, set) => (await import('./matrix.js')).matrixCommand(ctx, set),
  watch: async (ctx, set) => (await import('./watch.js')).watchCommand(ctx, set),
};

/**
 * Adds the command `argv` names, or every command when it names none of them
 * (`lab --help`, `lab help run`, a typo that commander answers with "did you
 * mean"). Without argv: every command (the reference is generated from them).
 */
export async function registerCommands(program: Command, ctx: CommandContext, setExitCode: SetExitCode, argv?: string[]): Promise<void> {
  const named = argv?.slice(2).find((a) => !a.startsWith('-'));
  const names = named !== undefined && Object.hasOwn(COMMANDS, named) ? [named] : Object.keys(COMMANDS);
  for (const name of names) program.addCommand(await (COMMANDS[name] as MakeCommand)(ctx, setExitCode));
}
