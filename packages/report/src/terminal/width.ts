/** Columns assumed when nothing says otherwise (output piped to a file, no `COLUMNS`). */
export const DEFAULT_WIDTH = 100;

/** The `--wide` flag's help, the same for every command that prints tables. */
export const WIDE_HELP = 'keep every table column at full width (default: fit the terminal, COLUMNS, else 100)';

/**
 * How wide terminal output may be, decided here only: `--wide` → unlimited
 * (Infinity: tables keep every column at full width); a TTY's own width;
 * else `COLUMNS` when it is a positive integer (an env var, so a bad one is
 * ignored, not refused); else 100.
 */
export function terminalWidth(out: { isTTY?: boolean; columns?: number }, wide = false, env: NodeJS.ProcessEnv = process.env): number {
  if (wide) return Infinity;
  if (out.isTTY && out.columns !== undefined && out.columns > 0) return out.columns;
  const columns = env.COLUMNS?.trim() ?? '';
  if (/^\d+$/.test(columns) && Number(columns) > 0) return Number(columns);
  return DEFAULT_WIDTH;
}
