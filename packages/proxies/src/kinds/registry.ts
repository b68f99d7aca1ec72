import { LabError } from '@keepalive-lab/core';
import type { ProxyComponent } from './component.js';
import { apache } from './apache.js';
import { caddy } from './caddy.js';
import { external } from './external.js';
import { haproxy } from './haproxy.js';
import { haproxyTcp } from './haproxy-tcp.js';
import { httpProxy } from './http-proxy.js';
import { l7 } from './l7.js';
import { l7Fast } from './l7-fast.js';
import { naiveL4 } from './naive-l4.js';
import { nginx } from './nginx.js';
import { pipeL4 } from './pipe-l4.js';
import { squid } from './squid.js';
import { undiciProxy } from './undici-proxy.js';
import { varnish } from './varnish.js';

/**
 * Every proxy kind, in the order lists and the matrix show them: the lab's
 * own, then real peers, then `external`. Adding a kind is one file in this
 * folder and one line here.
 */
export const PROXY_COMPONENTS: readonly ProxyComponent[] = [
  naiveL4,
  pipeL4,
  l7,
  l7Fast,
  nginx,
  haproxy,
  haproxyTcp,
  caddy,
  apache,
  varnish,
  squid,
  httpProxy,
  undiciProxy,
  external,
];

export const PROXY_KINDS: readonly string[] = PROXY_COMPONENTS.map((c) => c.kind);

export function findProxyComponent(kind: string): ProxyComponent | undefined {
  return PROXY_COMPONENTS.find((c) => c.kind === kind);
}

export function proxyComponent(kind: string): ProxyComponent {
  const c = findProxyComponent(kind);
  if (c === undefined) {
    throw new LabError('LAB_ERR_USAGE', `unknown proxy kind ${JSON.stringify(kind)}: expected one of ${PROXY_KINDS.join(', ')}`, {
      found: kind,
      known: [...PROXY_KINDS],
    });
  }
  return c;
}
