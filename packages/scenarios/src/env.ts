import { cpus, release, type as osType } from 'node:os';
import { readFileSync } from 'node:fs';

export interface RunEnv {
  node: string;
  os: string;
  kernel: string;
  cpus: number;
  lab: string;
}

const labVersion: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Where a result was made: figures only mean something next to this. */
export function runEnv(): RunEnv {
  return { node: process.version, os: `${osType()} ${process.arch}`, kernel: release(), cpus: cpus().length, lab: labVersion };
}
