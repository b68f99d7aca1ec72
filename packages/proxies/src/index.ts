export { NaiveL4Proxy, createNaiveL4 } from './naive-l4.js';
export { PipeL4Proxy, createPipeL4 } from './pipe-l4.js';
export { L4ProxyBase, type L4ProxyOptions, type ClientConn, type UpstreamConn } from './l4-base.js';
export { createProxy, isProxyKind, PROXY_KINDS, type ProxyKind, type ProxyOptionsByKind, type LabProxy } from './create-proxy.js';
