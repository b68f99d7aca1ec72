import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/lab.js', import.meta.url));

/** Runs `lab <args> | head -1` in a shell with pipefail: lab's own exit code and stderr, as a user sees them. */
function throughHead(args: string): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['-o', 'pipefail', '-c', `"${process.execPath}" "${bin}" ${args} | head -1`], { timeout: 30_000 }, (err, out, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, out, err: stderr });
    });
  });
}

describe('lab in a pipe', () => {
  it('stops quietly when the reader goes away (| head): exit 0, no stack trace', async () => {
    const r = await throughHead('list --kinds');
    expect(r.out).toMatch(/^naive-l4 /);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  });
});
