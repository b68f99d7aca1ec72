import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { z } from 'zod';
import type { Endpoint } from '@keepalive-lab/core';
import { ChildProxy } from '../real/child-proxy.js';
import type { HopIdle, PeerProgram, ProxyComponent } from './component.js';
import { peerConfig, peerConfigKnobs, placeholders, type PeerSite } from './peer-config.js';
import { findPeer, installLine, peerMissing, peerVersion } from './peer-program.js';

/** What one real peer from Debian declares; realPeer() turns it into a registry entry. */
export interface RealPeerDef {
  kind: string;
  layer: 'l4' | 'l7';
  summary: string;
  peer: PeerProgram;
  /** Where `directives:` lines go in the generated config (`location /`, `backend`), for the reference. */
  directivesIn: string;
  /** The kind's own knobs (the directives/configFile pair is added for every peer). */
  knobs: z.ZodRawShape;
  /** Arguments that make the binary print its version. */
  versionArgs: string[];
  /** The config file's name in the temp dir. */
  file: string;
  /** The generated config for these knobs at this site. */
  generate(knobs: Record<string, unknown>, site: PeerSite): string;
  /** Its idle timeouts with these knobs (what the lab's generated config leaves at the peer's defaults included). */
  idle?(knobs: Record<string, unknown>): HopIdle;
  /** The origins as config lines, for a user's {{upstreams}}. */
  upstreams(targets: Endpoint[]): string;
  /** Arguments that run the binary in the foreground on `configPath`, writing only under `site.dir`. */
  args(configPath: string, site: PeerSite): string[];
  /**
   * Work before the child starts, in its temp dir (extra files, a cache dir,
   * permissions for a peer that drops root for its own user).
   */
  prepare?(site: PeerSite, knobs: Record<string, unknown>): Promise<void>;
  /** Environment for the child (some peers look for a home or a run dir); default the lab's own. */
  env?(site: PeerSite): NodeJS.ProcessEnv;
  /** Fast stop: by close() the lab's client is done. */
  stopSignal: NodeJS.Signals;
  /** Files in the dir the peer logs to (an access log with `id=<x-lab-request-id>`), kept in its log. */
  logFiles?: string[];
}

/** The config a peer would run with at a site, for `lab proxy <kind> --print-config`. */
export async function renderPeerConfig(def: RealPeerDef, knobs: Record<string, unknown>, site: PeerSite): Promise<string> {
  const configFile = knobs.configFile as string | undefined;
  return peerConfig(configFile, () => def.generate(knobs, site), placeholders(site, def.upstreams(site.targets)));
}

/** A real peer as a registry entry: a child process with a config generated from the scenario, in a temp dir. */
export function realPeer(def: RealPeerDef): ProxyComponent & { readonly def: RealPeerDef } {
  return {
    def,
    kind: def.kind,
    role: 'proxy',
    layer: def.layer,
    summary: def.summary,
    source: 'debian',
    knobs: { ...def.knobs, ...peerConfigKnobs },
    peer: def.peer,
    directivesIn: def.directivesIn,
    startable: true,
    inDefaultMatrix: true,
    ...(def.idle ? { idle: def.idle } : {}),
    missing: (env) => peerMissing(def.kind, def.peer, env),
    version: () => peerVersion(findPeer(def.peer), def.versionArgs),
    create(knobs, common) {
      const program = {
        program: def.peer.program,
        kind: def.kind,
        installHint: installLine(def.peer),
        find: () => findPeer(def.peer),
        configure: async (dir: string, host: string, port: number) => {
          const site: PeerSite = { dir, host, port, targets: common.targets };
          const config = await renderPeerConfig(def, knobs, site);
          const path = join(dir, def.file);
          await writeFile(path, config);
          await def.prepare?.(site, knobs);
          return { args: def.args(path, site), config, ...(def.env ? { env: def.env(site) } : {}) };
        },
        stopSignal: def.stopSignal,
        ...(def.logFiles ? { logFiles: def.logFiles } : {}),
      };
      return Promise.resolve(new ChildProxy(program, { ...common, name: common.name ?? def.kind }));
    },
  };
}
