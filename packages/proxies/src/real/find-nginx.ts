import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** What the lab says when nginx is absent: Debian's package, the smallest one with the proxy module. */
export const NGINX_INSTALL_HINT = 'apt-get update && apt-get install -y nginx-light';

/** True when `path` names an executable file. */
export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    // Absent or not executable: the caller tries elsewhere or reports nginx missing.
    return false;
  }
}

/**
 * The nginx binary: $LAB_NGINX if set (a path; anything not executable there,
 * e.g. `none`, means "no nginx" — how to see the missing-peer error on a
 * machine that has it), else nginx on PATH or in /usr/sbin (root's PATH has
 * it; a user's may not). Null when there is none.
 */
export function findNginx(env: NodeJS.ProcessEnv = process.env): string | null {
  const chosen = env.LAB_NGINX;
  if (chosen !== undefined && chosen !== '') return isExecutable(chosen) ? chosen : null;
  const dirs = [...(env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin'];
  for (const dir of dirs) {
    if (dir !== '' && isExecutable(join(dir, 'nginx'))) return join(dir, 'nginx');
  }
  return null;
}
