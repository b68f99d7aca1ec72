import { findBinary } from './find-binary.js';

/** What the lab says when HAProxy is absent: Debian's package (2.6 in bookworm). */
export const HAPROXY_INSTALL_HINT = 'apt-get update && apt-get install -y haproxy';

/** The haproxy binary: $LAB_HAPROXY (`none` = pretend it is absent), else PATH or /usr/sbin; null when there is none. */
export function findHaproxy(env: NodeJS.ProcessEnv = process.env): string | null {
  return findBinary('haproxy', 'LAB_HAPROXY', env);
}
