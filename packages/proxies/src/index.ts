export { NaiveL4Proxy, createNaiveL4 } from './naive-l4.js';
export { PipeL4Proxy, createPipeL4 } from './pipe-l4.js';
export { L4ProxyBase, type L4ProxyOptions, type ClientConn, type UpstreamConn } from './l4-base.js';
export { createProxy, isProxyKind, PROXY_KINDS, type ProxyKind, type RealProxyKind, type StartableProxyKind, type ProxyOptionsByKind, type LabProxy } from './create-proxy.js';
export { createL7Proxy, L7Proxy, L7_DEFAULTS, BALANCE_MODES, resolveL7Options, type L7Stats, type BalanceMode, type L7ProxyOptions, type ResolvedL7Options } from './l7/index.js';
export { createL7FastProxy, L7FastProxy } from './l7-fast/index.js';
export { createNginxProxy, NginxProxy, type NginxProxyOptions } from './real/nginx.js';
export { findNginx, isExecutable as isExecutableFile, NGINX_INSTALL_HINT } from './real/find-nginx.js';
export { nginxConfig, type NginxConfigOptions } from './real/nginx-config.js';
