import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const probe = fileURLToPath(new URL('./fixtures/changed-llhttp-probe.ts', import.meta.url));

describe('engines load lazily', () => {
  it("importing the package runs no engine's start-up check: with llhttp changed, l7 and pipe-l4 start and only l7-fast refuses", async () => {
    const out = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--import', 'tsx', probe], { timeout: 20_000 }, (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
      );
    });
    expect(JSON.parse(out)).toEqual({ l7: 'l7', l4: 'pipe-l4', fast: 'LAB_ERR_INTERNAL' });
  });
});
