import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ChildProxy, type ChildProxyOptions } from './child-proxy.js';
import { HAPROXY_INSTALL_HINT, findHaproxy } from './find-haproxy.js';
import { haproxyConfig, type HaproxyReuse } from './haproxy-config.js';

export interface HaproxyProxyOptions extends ChildProxyOptions {
  /** `http-reuse`: which client sessions may send on an idle server connection; default HAProxy's `safe`. */
  reuse?: HaproxyReuse;
  /** `timeout http-keep-alive`, ms; default HAProxy's (`timeout http-request`, else `timeout client`). */
  keepAliveTimeout?: number;
}

/** The real HAProxy as a lab proxy: one process in the foreground (`-db`), config in the temp dir. */
export type HaproxyProxy = ChildProxy;

/** HAProxy's `haproxy.cfg` in `dir`, and the arguments that run it and only it. */
async function writeHaproxyCfg(options: HaproxyProxyOptions, dir: string, host: string, port: number): Promise<string[]> {
  const cfg = join(dir, 'haproxy.cfg');
  const keepAlive = options.keepAliveTimeout === undefined ? {} : { keepAliveTimeoutMs: options.keepAliveTimeout };
  await writeFile(cfg, haproxyConfig({ host, listenPort: port, targets: options.targets, reuse: options.reuse ?? 'safe', ...keepAlive }));
  // -db: foreground, no daemon; -f: this config, not /etc/haproxy/haproxy.cfg.
  return ['-db', '-f', cfg];
}

export function createHaproxyProxy(options: HaproxyProxyOptions): HaproxyProxy {
  return new ChildProxy(
    {
      program: 'haproxy',
      installHint: HAPROXY_INSTALL_HINT,
      find: () => findHaproxy(),
      configure: (dir, host, port) => writeHaproxyCfg(options, dir, host, port),
      // SIGTERM is HAProxy's hard stop (SIGUSR1 the soft one, which waits for sessions).
      stopSignal: 'SIGTERM',
    },
    options,
  );
}
