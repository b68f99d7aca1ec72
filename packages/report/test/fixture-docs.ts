import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResultDocument } from '@keepalive-lab/scenarios';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

/** Result files saved by real runs on the dev machine (Node 20, Linux), committed as they were. */
export function fixtureDoc(name: 'keepalive-l4' | 'keepalive-pipe-l4' | 'pool-head-of-line'): ResultDocument {
  return JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as ResultDocument;
}

export const fixturePath = (name: string): string => join(dir, `${name}.json`);

/**
 * A deterministic run of `n` requests with `Connection: close`: one client
 * connection each, 50 in flight, 2 ms apart: the shape of a 1,000+ request run.
 */
export function closeRunDoc(n: number): ResultDocument {
  const base = fixtureDoc('keepalive-pipe-l4');
  const requests = Array.from({ length: n }, (_, i) => ({
    id: `r${i + 1}`,
    start: Math.floor(i / 50) * 20,
    end: Math.floor(i / 50) * 20 + 15 + (i % 5),
    status: i === 7 ? null : 200,
    error: i === 7 ? 'ECONNRESET' : null,
    clientPort: 20000 + i,
    reused: false,
    upstreamPort: null,
    originPort: 20000 + i,
    origin: 'origin',
    originConn: i + 1,
    nthOnConn: 1,
  }));
  return { ...base, requests, events: [], variants: undefined };
}
