import { createProxy, findPeer, installLine, isExecutableFile, proxyComponent } from '@keepalive-lab/proxies';

const NGINX = proxyComponent('nginx');

/** What the bench says when nginx is absent: the registry's own line. */
export const NGINX_INSTALL_HINT = NGINX.peer === undefined ? '' : installLine(NGINX.peer);

/**
 * The nginx binary: $LAB_BENCH_NGINX if set (a path; anything not executable
 * there, e.g. `none`, means "no nginx"), else the lab's own lookup
 * ($LAB_NGINX, PATH, /usr/sbin). Null when there is none.
 */
export function findNginx(): string | null {
  const chosen = process.env.LAB_BENCH_NGINX;
  if (chosen !== undefined && chosen !== '') return isExecutableFile(chosen) ? chosen : null;
  return NGINX.peer === undefined ? null : findPeer(NGINX.peer);
}

export interface NginxServer {
  port: number;
  close(): Promise<void>;
}

/**
 * nginx in front of 127.0.0.1:originPort: the lab's `proxy.kind: nginx`
 * (packages/proxies/src/kinds/nginx.ts), with a keep-alive upstream pool of 32 (issue
 * 4's comparison point; the L7 proxy keeps 32 idle per target too). The
 * pool's idle timeout is 4 s: the lab origin closes idle sockets after 5 s +
 * node's 1 s, and the L7 proxy drops them at its hint minus 1 s, so both
 * proxies retire a pooled socket before the origin does.
 */
export async function startNginx(binary: string, originPort: number): Promise<NginxServer> {
  const nginx = await createProxy(
    'nginx',
    { keepalive: 32, keepaliveTimeout: 4000 },
    { binary, targets: [{ host: '127.0.0.1', port: originPort }] },
  );
  const { port } = await nginx.listen();
  return { port, close: () => nginx.close() };
}
