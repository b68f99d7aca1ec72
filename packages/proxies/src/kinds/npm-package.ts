import { createRequire } from 'node:module';

/** What the lab says when an npm peer is absent: it is a dependency, so the lab's own install brings it. */
const INSTALL = 'npx --yes pnpm@9.15.9 install';

/** An npm package's version from its package.json, or null when it is not installed. */
export function npmVersion(pkg: string): string | null {
  try {
    return (createRequire(import.meta.url)(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    // Not resolvable from here: not installed.
    return null;
  }
}

/** The registry fields of a kind built on an npm package: found when it resolves, versioned by its package.json. */
export function npmPeer(pkg: string): { missing: () => string | null; version: () => Promise<string | null> } {
  return {
    missing: () => (npmVersion(pkg) === null ? `${pkg} is not installed: ${INSTALL}` : null),
    version: () => Promise.resolve(npmVersion(pkg)),
  };
}
