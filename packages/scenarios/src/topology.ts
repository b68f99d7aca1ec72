import { formatEndpoint, type Endpoint, type LabServer, type Recorder } from '@keepalive-lab/core';
import { createOrigin } from '@keepalive-lab/origin';
import { createProxy, proxyComponent, type LabProxy } from '@keepalive-lab/proxies';
import type { Scenario } from './schema.js';

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
        listen: { host: '127.0.0.1', port: o.port },
        keepAliveTimeout: o.keepAliveTimeout,
        maxRequestsPerSocket: o.maxRequestsPerSocket,
        keepAliveHint: o.keepAliveHint,
        keepAlive: o.keepAlive,
        delay: o.delay,
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
    const first = origins[0] as Endpoint; // the schema requires at least one origin
    let url = `http://${formatEndpoint(first)}${path}`;
    if (s.proxy?.kind === 'external') {
      url = s.proxy.url;
    } else if (s.proxy) {
      const { kind, ...knobs } = s.proxy;
      const proxy = await createProxy(kind, knobs, { targets: origins, recorder });
      started.push(proxy);
      proxies.push({ kind, proxy });
      url = `http://${formatEndpoint(await proxy.listen())}${path}`;
    }
    const peers = () =>
      Promise.all(
        proxies.map(async ({ kind, proxy }) => ({ kind, version: await proxyComponent(kind).version(), config: proxy.config ?? null, log: proxy.log ?? '' })),
      );
    for (const o of originServers) await o.beginOutage();
    return { url, originPorts: origins.map((o) => o.port), peers, close };
  } catch (err) {
    await close();
    throw err;
  }
}
