import { registerCommands } from '../packages/cli/src/commands/index.js';
import { processContext } from '../packages/cli/src/context.js';

/**
 * The Commands section of docs/reference.md, read off the commander program
 * the `lab` binary runs: each command with its arguments and every flag,
 * its default and its help line. Here and not in a package: the scenarios
 * package (where the other generated sections live) must not import the cli.
 */

type Program = Parameters<typeof registerCommands>[0];
/** A commander Command, typed through the cli (this root package does not depend on commander itself). */
export type LabCommand = Parameters<Program['addCommand']>[0];

/** The `lab` subcommands as `lab` registers them, in its order. Built only, never run. */
export async function labCommands(): Promise<LabCommand[]> {
  const commands: LabCommand[] = [];
  const collector = { addCommand: (c: LabCommand) => commands.push(c) } as unknown as Program;
  await registerCommands(collector, processContext(), () => undefined);
  return commands;
}

/** Help text as markdown: `|` cannot end a table cell, and `<name>` outside a code span would read as an HTML tag. */
const text = (s: string): string =>
  s
    .split('`')
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/</g, '&lt;').replace(/>/g, '&gt;')))
    .join('`')
    .replace(/\|/g, '\\|');

/** A default as a user would type it; none, or an empty list (a repeatable flag's start), is –. */
function defaultOf(value: unknown): string {
  if (value === undefined || (Array.isArray(value) && value.length === 0)) return '–';
  return `\`${typeof value === 'string' ? value : JSON.stringify(value)}\``;
}

function commandSection(c: LabCommand): string {
  const args = c.registeredArguments.map((a) =>
    a.required ? `<${a.name()}${a.variadic ? '...' : ''}>` : `[${a.name()}${a.variadic ? '...' : ''}]`,
  );
  const lines = [`### \`lab ${[c.name(), ...args].join(' ')}\``, '', text(`${c.description()}.`)];
  const described = c.registeredArguments.filter((a) => a.description !== '');
  if (described.length > 0) lines.push('', ...described.map((a) => `- \`${a.name()}\`: ${text(a.description)}`));
  if (c.options.length > 0) {
    lines.push('', '| flag | default | meaning |', '| --- | --- | --- |');
    for (const o of c.options) lines.push(`| \`${o.flags}\` | ${defaultOf(o.defaultValue)} | ${text(o.description)} |`);
  }
  return lines.join('\n');
}

/** Every command, its arguments and flags, as markdown for the `commands` generated section. */
export function commandsReference(commands: LabCommand[]): string {
  return commands.map(commandSection).join('\n\n');
}
