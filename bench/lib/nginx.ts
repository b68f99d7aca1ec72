import { createNginxProxy, findNginx as findLabNginx, isExecutableFile, NGINX_INSTALL_HINT } from '@keepalive-lab/proxies';

export { NGINX_INSTALL_HINT };

/**
 * The nginx binary: $LAB_BENCH_NGINX if set (a path; anything not executable
 * there, e.g. `none`, means "no nginx"), else the lab's own lookup
 * ($LAB_NGINX, PATH, /usr/sbin). Null when there is none.
 */
export function findNginx(): string | null {
  const chosen = process.env.LAB_BENCH_NGINX;
  if (chosen !== undefined && chosen !== '') return isExecutableFile(chosen) ? chosen : null;
  return findLabNginx();
}

export interface NginxServer {
  port: number;
  close(): Promise<void>;
}

/**
 * nginx in front of 127.0.0.1:originPort: the lab's `proxy.kind: nginx`
 * (packages/proxies/src/real), with a keep-alive upstream pool of 32 (issue
 * 4's comparison point; the L7 proxy keeps 32 idle per target too). The
 * pool's idle timeout is 4 s: the lab origin closes idle sockets after 5 s +
 * node's 1 s, and the L7 proxy drops them at its hint minus 1 s, so both
 * proxies retire a pooled socket before the origin does.
 */
export async function startNginx(binary: string, originPort: number): Promise<NginxServer> {
  const nginx = createNginxProxy({ binary, targets: [{ host: '127.0.0.1', port: originPort }], keepalive: 32, keepaliveTimeout: 4000 });
  const { port } = await nginx.listen();
  return { port, close: () => nginx.close() };
}
