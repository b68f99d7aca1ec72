// l7-fast is not exported here: it loads node's llhttp binding and checks it, which only a run that uses it should do (kinds/l7-fast.ts imports it lazily).
export { NaiveL4Proxy, createNaiveL4 } from './naive-l4.js';
export { PipeL4Proxy, createPipeL4 } from './pipe-l4.js';
export { L4ProxyBase, type L4ProxyOptions, type ClientConn, type UpstreamConn } from './l4-base.js';
export { createProxy } from './create-proxy.js';
export { PROXY_COMPONENTS, PROXY_KINDS, findProxyComponent, proxyComponent } from './kinds/registry.js';
export type { ProxyComponent, ProxyCommon, LabProxy, PeerProgram } from './kinds/component.js';
export { realPeer, renderPeerConfig, type RealPeerDef } from './kinds/real-peer.js';
export { peerConfigKnobs, type PeerSite } from './kinds/peer-config.js';
export { findPeer, installLine, peerMissing } from './kinds/peer-program.js';
export { HAPROXY_REUSE_MODES } from './kinds/haproxy.js';
export { createL7Proxy, L7Proxy } from './l7/index.js';
// What both L7 engines share: their options and their counters.
export {
  L7_DEFAULTS,
  BALANCE_MODES,
  UPSTREAM_PROTOCOLS,
  resolveL7Options,
  type BalanceMode,
  type UpstreamProtocol,
  type L7ProxyOptions,
  type ResolvedL7Options,
} from './l7-kit/options.js';
export type { L7Stats } from './l7-kit/l7-base.js';
export { findBinary, isExecutable as isExecutableFile } from './real/find-binary.js';
export { ChildProxy, type ChildProxyOptions, type ChildProgram } from './real/child-proxy.js';
