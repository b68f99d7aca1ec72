import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/lab.js', import.meta.url));

/** Runs `lab <args> | head -1` in a shell with pipefail: lab's own exit code and stderr, as a user sees them. */
function throughHead(args: string): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['-o', 'pipefail', '-c', `"${process.execPath}" "${bin}" ${args} | head -1`],
      { timeout: 30_000 },
      (err, out, stderr) => {
        resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, out, err: stderr });
      },
    );
  });
}

describe('lab in a pipe', () => {
  it('stops quietly when the reader goes away (| head): exit 0, no stack trace', async () => {
    const r = await throughHead('list --kinds');
    expect(r.out).toMatch(/^naive-l4 /);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  });

  // The README's form: `pnpm lab ...` runs the workspace's bin directly (no script, so no "> keepalive-lab lab" banner on stdout).
  it('`npx pnpm@9.15.9 lab ... --json` prints the JSON document and nothing else', { timeout: 60_000 }, async () => {
    const root = fileURLToPath(new URL('../../../', import.meta.url));
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        'npx',
        ['--yes', 'pnpm@9.15.9', 'lab', 'run', 'close-direct', '--json', '--no-save'],
        { cwd: root, timeout: 60_000 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      );
    });
    expect(JSON.parse(out)).toMatchObject([{ schema: 'keepalive-lab/result@1', metrics: { 'requests.ok': 20 } }]);
  });
});
