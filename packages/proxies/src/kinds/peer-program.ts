import { execFile } from 'node:child_process';
import { findBinary } from '../real/find-binary.js';
import type { PeerProgram } from './component.js';

/** The one line that installs a Debian peer, as every message and skip prints it. */
export const installLine = (p: PeerProgram): string => `apt-get update && apt-get install -y ${p.debianPackage}`;

/** The peer's binary: $envVar if set, else PATH, /usr/sbin, /usr/local/sbin; null when absent. */
export const findPeer = (p: PeerProgram, env: NodeJS.ProcessEnv = process.env): string | null => findBinary(p.program, p.envVar, env);

/** Null when the peer is there, else what `lab run` and the tests print: who is missing and how to install it. */
export function peerMissing(kind: string, p: PeerProgram, env: NodeJS.ProcessEnv = process.env): string | null {
  if (findPeer(p, env) !== null) return null;
  const chosen = env[p.envVar];
  return notInstalled(
    kind,
    p.program,
    installLine(p),
    chosen !== undefined && chosen !== '' ? `${p.envVar}=${chosen} is not an executable` : null,
  );
}

/** The one sentence for a missing peer, wherever it is noticed (the registry's check, or a child given a binary that is not there). */
export function notInstalled(kind: string, program: string, install: string, why: string | null): string {
  return `proxy kind ${kind} needs ${program}, which is not installed${why === null ? '' : ` (${why})`}. Install it with: ${install} (Debian/Ubuntu, as root)`;
}

/**
 * The first `x.y.z` a binary prints when asked its version (`-v`, `-V`,
 * `version`: each peer has its own flag; some print to stderr). Null when it
 * prints none within a second.
 */
export function peerVersion(binary: string | null, args: string[]): Promise<string | null> {
  if (binary === null) return Promise.resolve(null);
  return new Promise((resolve) => {
    execFile(binary, args, { timeout: 1000 }, (_err, stdout, stderr) => {
      const m = /(\d+\.\d+(?:\.\d+)?)/.exec(`${stdout}\n${stderr}`);
      resolve(m ? (m[1] ?? null) : null);
    });
  });
}
