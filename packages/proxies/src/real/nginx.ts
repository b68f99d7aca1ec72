import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ChildProxy, type ChildProxyOptions } from './child-proxy.js';
import { NGINX_INSTALL_HINT, findNginx } from './find-nginx.js';
import { nginxConfig } from './nginx-config.js';

export interface NginxProxyOptions extends ChildProxyOptions {
  /** Idle upstream connections nginx caches per worker (`keepalive N`); default 8, 0 = none. */
  keepalive?: number;
  /** How long a cached upstream connection may stay idle (`keepalive_timeout`), ms; default nginx's 60 s. */
  keepaliveTimeout?: number;
}

/** The real nginx as a lab proxy: one worker, no daemon, no master, every path under the temp dir. */
export type NginxProxy = ChildProxy;

const DEFAULT_KEEPALIVE = 8;

export function createNginxProxy(options: NginxProxyOptions): NginxProxy {
  const configure = async (dir: string, _host: string, port: number): Promise<string[]> => {
    const conf = join(dir, 'nginx.conf');
    const timeout = options.keepaliveTimeout;
    const keepalive = options.keepalive ?? DEFAULT_KEEPALIVE;
    await writeFile(conf, nginxConfig({ dir, listenPort: port, targets: options.targets, keepalive, ...(timeout === undefined ? {} : { keepaliveTimeoutMs: timeout }) }));
    // -e: the error log before the config is read (else nginx opens /var/log/nginx/error.log first).
    return ['-p', dir, '-c', conf, '-e', 'stderr'];
  };
  // SIGTERM is nginx's fast shutdown (SIGQUIT the graceful one).
  return new ChildProxy({ program: 'nginx', installHint: NGINX_INSTALL_HINT, find: () => findNginx(), configure, stopSignal: 'SIGTERM' }, options);
}
