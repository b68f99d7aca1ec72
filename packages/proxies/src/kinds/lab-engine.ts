import { readFileSync } from 'node:fs';

const version: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** The lab's own engines: always here, versioned with the lab (and the node that runs them). */
export const labEngine = {
  startable: true,
  inDefaultMatrix: true,
  missing: (): string | null => null,
  version: (): Promise<string | null> => Promise.resolve(version),
};
