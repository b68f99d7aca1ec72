import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** True when `path` names an executable file. */
export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    // Absent or not executable: the caller tries elsewhere or reports the peer missing.
    return false;
  }
}

/**
 * A real peer's binary: $<envVar> if set (a path; anything not executable
 * there, e.g. `none`, means "not installed" — how to see the missing-peer
 * error on a machine that has it), else `program` on PATH or in /usr/sbin
 * (root's PATH has it; a user's may not). Null when there is none.
 */
export function findBinary(program: string, envVar: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const chosen = env[envVar];
  if (chosen !== undefined && chosen !== '') return isExecutable(chosen) ? chosen : null;
  const dirs = [...(env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin'];
  for (const dir of dirs) {
    if (dir !== '' && isExecutable(join(dir, program))) return join(dir, program);
  }
  return null;
}
