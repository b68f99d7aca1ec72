#!/usr/bin/env node
// The `lab` command. It runs the packages' compiled JavaScript, rebuilt from
// the TypeScript sources whenever one changed (compiled.js says why), so a
// fresh clone needs no build step before `lab run`.
import { compiledMain } from './compiled.js';

// `lab ... | head`: once the reader is gone, stop as other command-line tools do, without a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(process.exitCode ?? 0);
  });
}
let entry = await compiledMain();
if (entry === null) {
  const { register } = await import('tsx/esm/api');
  register();
  entry = '../src/main.ts';
}
const { main } = await import(entry);
process.exitCode = await main(process.argv);
