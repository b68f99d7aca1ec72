import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
let page: LivePage | null = null;

/** The live page: one HTML document (its stylesheet inlined) and one script. Nothing else is fetched: it works offline. */
export interface LivePage {
  html: string;
  script: string;
}

/** Read once per process. */
export function livePage(): LivePage {
  if (page) return page;
  const read = (name: string) => readFileSync(join(here, 'assets', name), 'utf8');
  page = {
    html: read('live.html').replace('/*STYLE*/', () => read('live.css')),
    script: read('live-page.js'),
  };
  return page;
}
