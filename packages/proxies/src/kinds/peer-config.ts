import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { LabError, type Endpoint } from '@keepalive-lab/core';

/**
 * What every real peer's `proxy:` block takes besides its own knobs: lines
 * for the generated config, or the user's whole config file.
 */
export const peerConfigKnobs = {
  directives: z
    .array(z.string())
    .optional()
    .describe('lines added to the generated config (the block each kind puts them in is in docs/reference.md)'),
  configFile: z
    .string()
    .min(1)
    .optional()
    .describe('your own config file; {{listen}} {{host}} {{port}} {{upstreams}} {{dir}} are replaced'),
};

/** Where a peer runs: its temp dir, its listener, its origins. */
export interface PeerSite {
  dir: string;
  host: string;
  port: number;
  targets: Endpoint[];
}

/** The placeholders a user's configFile may use, and what each becomes. */
export function placeholders(site: PeerSite, upstreams: string): Record<string, string> {
  return { listen: `${site.host}:${site.port}`, host: site.host, port: String(site.port), dir: site.dir, upstreams };
}

/**
 * The config a peer runs with: the user's file with placeholders replaced, or
 * the generated one. An unknown placeholder is an error naming it: a typo
 * must not reach the peer as literal braces.
 */
export async function peerConfig(configFile: string | undefined, generated: () => string, values: Record<string, string>): Promise<string> {
  if (configFile === undefined) return generated();
  let text: string;
  try {
    text = await readFile(configFile, 'utf8');
  } catch (err) {
    throw new LabError(
      'LAB_ERR_USAGE',
      `proxy.configFile ${configFile}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      { path: 'proxy.configFile', found: configFile },
      { cause: err },
    );
  }
  return text.replace(/\{\{\s*([a-z]+)\s*\}\}/g, (whole, name: string) => {
    const v = values[name];
    if (v === undefined) {
      throw new LabError(
        'LAB_ERR_USAGE',
        `proxy.configFile ${configFile}: unknown placeholder ${whole}; known: ${Object.keys(values)
          .map((k) => `{{${k}}}`)
          .join(' ')}`,
        {
          path: 'proxy.configFile',
          expected: Object.keys(values).join(', '),
          found: whole,
        },
      );
    }
    return v;
  });
}

/** Directive lines indented for the block they go in. */
export const indentLines = (lines: readonly string[] | undefined, indent: string): string =>
  (lines ?? []).map((l) => `\n${indent}${l}`).join('');
