import { spawn } from 'node:child_process';

/** Starts a program detached and says whether it started (a missing one fails with ENOENT). */
function launch(command: string, args: string[]): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'ignore', detached: true });
    child.once('error', () => resolve(false));
    child.once('spawn', () => {
      child.unref();
      resolve(true);
    });
  });
}

/**
 * Opens `url` in a browser where one exists: `$BROWSER` (a `:`-separated
 * list of commands, `%s` standing for the URL), else `xdg-open`. Returns
 * what opened it, or null: then only the printed URL is left.
 */
export async function openBrowser(url: string, env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  const candidates = (env.BROWSER ?? '')
    .split(':')
    .map((c) => c.trim())
    .filter((c) => c !== '');
  for (const c of [...candidates, 'xdg-open']) {
    const words = c.split(/\s+/);
    const args = words.slice(1);
    const withUrl = args.some((a) => a.includes('%s')) ? args.map((a) => a.replace('%s', url)) : [...args, url];
    if (await launch(words[0] as string, withUrl)) return words[0] as string;
  }
  return null;
}
