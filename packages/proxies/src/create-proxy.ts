import { LabError, type LabServer } from '@keepalive-lab/core';
import type { L4ProxyOptions } from './l4-base.js';
import { createNaiveL4 } from './naive-l4.js';
import { createPipeL4 } from './pipe-l4.js';
import { createL7Proxy, type L7ProxyOptions } from './l7/index.js';
import { createL7FastProxy } from './l7-fast/index.js';
import { createNginxProxy, type NginxProxyOptions } from './real/nginx.js';
import { createHaproxyProxy, type HaproxyProxyOptions } from './real/haproxy.js';

/** `l7-fast`: the same duties as l7 on node's llhttp directly, without node:http's objects (the speed path). */
export type ProxyKind = 'naive-l4' | 'pipe-l4' | 'l7' | 'l7-fast';

export const PROXY_KINDS: readonly ProxyKind[] = ['naive-l4', 'pipe-l4', 'l7', 'l7-fast'];

export const isProxyKind = (s: string): s is ProxyKind => (PROXY_KINDS as readonly string[]).includes(s);

/**
 * Real proxies the lab starts for a scenario but does not implement (nginx, HAProxy).
 * Not `lab proxy` kinds: a user who wants one by hand runs it itself.
 */
export type RealProxyKind = 'nginx' | 'haproxy';

/** Every kind createProxy starts: the lab's own (PROXY_KINDS) and the real ones. */
export type StartableProxyKind = ProxyKind | RealProxyKind;

/** The options each kind takes; a kind with more knobs (l7) widens its entry. */
export interface ProxyOptionsByKind {
  'naive-l4': L4ProxyOptions;
  'pipe-l4': L4ProxyOptions;
  l7: L7ProxyOptions;
  'l7-fast': L7ProxyOptions;
  nginx: NginxProxyOptions;
  haproxy: HaproxyProxyOptions;
}

/** What an owner (scenario runner, CLI) needs of any proxy. */
export interface LabProxy extends LabServer {
  readonly name: string;
  /** Client and upstream sockets still open. */
  readonly openSockets: number;
}

export function createProxy<K extends StartableProxyKind>(kind: K, options: ProxyOptionsByKind[K]): LabProxy {
  switch (kind) {
    case 'naive-l4':
      return createNaiveL4(options);
    case 'pipe-l4':
      return createPipeL4(options);
    case 'l7':
      return createL7Proxy(options);
    case 'l7-fast':
      return createL7FastProxy(options);
    case 'nginx':
      return createNginxProxy(options);
    case 'haproxy':
      return createHaproxyProxy(options);
    default:
      throw new LabError('LAB_ERR_USAGE', `unknown proxy kind ${JSON.stringify(kind)}`, { found: String(kind), known: [...PROXY_KINDS] });
  }
}
