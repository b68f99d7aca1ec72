#!/usr/bin/env node
// The `lab` command. The packages are TypeScript sources run through tsx's
// loader, so a fresh clone needs no build step before `lab run`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv);
