import { findBinary } from './find-binary.js';

/** What the lab says when nginx is absent: Debian's package, the smallest one with the proxy module. */
export const NGINX_INSTALL_HINT = 'apt-get update && apt-get install -y nginx-light';

/** The nginx binary: $LAB_NGINX (`none` = pretend it is absent), else PATH or /usr/sbin; null when there is none. */
export function findNginx(env: NodeJS.ProcessEnv = process.env): string | null {
  return findBinary('nginx', 'LAB_NGINX', env);
}
