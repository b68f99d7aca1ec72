#!/usr/bin/env node
// The `lab` command. The packages are TypeScript sources run through tsx's
// loader, so a fresh clone needs no build step before `lab run`.
import { register } from 'tsx/esm/api';

register();
// `lab ... | head`: once the reader is gone, stop as other command-line tools do, without a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(process.exitCode ?? 0);
  });
}
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv);
