import { createProxy, proxyComponent } from '@keepalive-lab/proxies';

/**
 * The real proxies the bench measures the lab's against, each the lab's own
 * kind (its generated config, packages/proxies/src/kinds/), with the knobs
 * issue 12's comparison names. None logs a line per request: the lab's
 * proxies print none in the bench either (their event lines are
 * `lab proxy`'s), so the anchors do the same work per request.
 *
 *   nginx        one worker, upstream keepalive 32, kept 4 s (the plain origin closes idle sockets at 5 s + 1 s)
 *   haproxy      mode http, http-reuse safe (its default)
 *   haproxy-tcp  mode tcp: one server connection per client connection
 */
export const PEER_KNOBS: Record<string, Record<string, unknown>> = {
  // access_log off in `location /` overrides the generated config's access log to a file.
  nginx: { keepalive: 32, keepaliveTimeout: 4000, directives: ['access_log off;'] },
  // The generated config logs each request to stdout (the lab joins it to its records); silent here.
  haproxy: { directives: ['http-request set-log-level silent'] },
  'haproxy-tcp': {},
};

/** Null when the kind can run here; else the lab's own sentence: what is missing and the line that installs it. */
export const peerMissing = (kind: string): string | null => proxyComponent(kind).missing();

/** A real proxy in front of 127.0.0.1:originPort, listening; its binary is found as the lab finds it ($LAB_NGINX, $LAB_HAPROXY, PATH). */
export async function startPeer(kind: string, originPort: number): Promise<{ port: number; close(): Promise<void> }> {
  const knobs = PEER_KNOBS[kind];
  if (knobs === undefined) throw new Error(`bench: no knobs for peer ${kind}`);
  const proxy = await createProxy(kind, knobs, { targets: [{ host: '127.0.0.1', port: originPort }] });
  const { port } = await proxy.listen();
  return { port, close: () => proxy.close() };
}
