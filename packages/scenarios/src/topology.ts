import { LabError, formatEndpoint, type Endpoint, type LabServer, type Recorder } from '@keepalive-lab/core';
import { createOrigin } from '@keepalive-lab/origin';
import { createProxy, proxyComponent, type LabProxy } from '@keepalive-lab/proxies';
import { chainOf, type ProxySpec, type Scenario } from './schema.js';

/** The servers of one run, started in order and closed in reverse. */
export interface Topology {
  url: string;
  originPorts: number[];
  /** What the result keeps of each proxy the run started (a real peer's version, config and log). */
  peers(): Promise<PeerRecord[]>;
  close(): Promise<void>;
}

/** A proxy of the run as the result file records it. */
export interface PeerRecord {
  kind: string;
  version: string | null;
  /** The config a real peer ran with; null for the lab's own engines. */
  config: string | null;
  /** A real peer's own log lines (error log, stderr) of the run; '' when it wrote none. */
  log: string;
}

/**
 * Starts the origins, then the proxy in front of them, all on 127.0.0.1
 * port 0 unless the scenario fixes an origin's port. If anything fails to
 * start, what did start is closed before the error goes up.
 */
export async function startTopology(s: Scenario, recorder: Recorder): Promise<Topology> {
  const started: LabServer[] = [];
  const proxies: { kind: string; proxy: LabProxy }[] = [];
  const originServers: { beginOutage(): Promise<void> }[] = [];
  const close = async () => {
    for (const server of started.reverse()) await server.close();
  };
  try {
    const origins: Endpoint[] = [];
    for (const o of s.origins) {
      const origin = createOrigin({
        name: o.name,
        engine: o.engine,
        protocol: o.protocol,
        listen: { host: '127.0.0.1', port: o.port },
        keepAliveTimeout: o.keepAliveTimeout,
        maxRequestsPerSocket: o.maxRequestsPerSocket,
        keepAliveHint: o.keepAliveHint,
        keepAlive: o.keepAlive,
        delay: o.delay,
        closeWindow: o.closeWindow,
        idleCloseBuffer: o.idleCloseBuffer,
        ...(o.responseBytes !== undefined ? { responseBytes: o.responseBytes } : {}),
        // An outage (downFor) begins once every proxy is up, as the client starts: a proxy slow to start must not sleep through it.
        faults: { ...o.faults, outageOnCue: true },
        recorder,
      });
      started.push(origin);
      originServers.push(origin);
      origins.push(await origin.listen());
    }
    const path = s.client.path;
    const chain = chainOf(s);
    const first = origins[0] as Endpoint; // the schema requires at least one origin
    let url = `http://${formatEndpoint(first)}${path}`;
    if (chain.some((p) => p.kind === 'external')) {
      if (chain.length > 1)
        throw new LabError(
          'LAB_ERR_USAGE',
          'proxy kind external stands alone: the lab cannot point a proxy it does not start at another hop',
          { path: 'proxies', found: 'external' },
        );
      url = String(chain[0]?.url);
    } else {
      // Started from the origin side: each proxy forwards to the one started before it, the last to the origins.
      let targets = origins;
      const names = hopNames(chain);
      for (let i = chain.length - 1; i >= 0; i--) {
        const { kind, ...knobs } = chain[i] as ProxySpec;
        const proxy = await createProxy(kind, knobs, { targets, recorder, name: names[i] ?? kind });
        started.push(proxy);
        proxies.unshift({ kind, proxy });
        targets = [await proxy.listen()];
      }
      url = `http://${formatEndpoint(targets[0] as Endpoint)}${path}`;
    }
    const peers = () =>
      Promise.all(
        proxies.map(async ({ kind, proxy }) => ({
          kind,
          version: await proxyComponent(kind).version(),
          config: proxy.config ?? null,
          log: proxy.log ?? '',
        })),
      );
    for (const o of originServers) await o.beginOutage();
    return { url, originPorts: origins.map((o) => o.port), peers, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Each hop's `proxy` name in events: its kind, or `kind-N` (N from 1, client side first) when a kind repeats in the chain. */
export function hopNames(chain: readonly { kind: string }[]): string[] {
  return chain.map((p, i) => (chain.filter((q) => q.kind === p.kind).length > 1 ? `${p.kind}-${i + 1}` : p.kind));
}
