import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Debian's Chromium, the one browser the lab's page tests and the report bench drive (playwright-core, no download). */
export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
export const chromiumMissing = `${CHROMIUM} is missing — install Debian's chromium (apt-get update && apt-get install -y chromium; .ci/run does)`;

/** A headless Chromium with its own profile under `dir` (nothing shared with a user's profile); the caller closes it. */
export function launchChromium(
  dir: string,
  viewport: { width: number; height: number } = { width: 1280, height: 900 },
): Promise<BrowserContext> {
  return chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    // No network of its own: no first-run, sync, component or background fetches (the machine has none to give).
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport,
  });
}
