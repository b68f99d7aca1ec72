import { formatEndpoint, type Endpoint, type LabServer, type Recorder } from '@keepalive-lab/core';
import { createOrigin } from '@keepalive-lab/origin';
import { createProxy } from '@keepalive-lab/proxies';
import type { Scenario } from './schema.js';

/** The servers of one run, started in order and closed in reverse. */
export interface Topology {
  url: string;
  originPorts: number[];
  close(): Promise<void>;
}

/**
 * Starts the origins, then the proxy in front of them, all on 127.0.0.1
 * port 0 unless the scenario fixes an origin's port. If anything fails to
 * start, what did start is closed before the error goes up.
 */
export async function startTopology(s: Scenario, recorder: Recorder): Promise<Topology> {
  const started: LabServer[] = [];
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
        faults: o.faults,
        recorder,
      });
      started.push(origin);
      origins.push(await origin.listen());
    }
    const path = s.client.path;
    const first = origins[0] as Endpoint; // the schema requires at least one origin
    let url = `http://${formatEndpoint(first)}${path}`;
    if (s.proxy?.kind === 'external') {
      url = s.proxy.url;
    } else if (s.proxy) {
      const { kind, ...options } = s.proxy;
      // Absent knobs stay absent, so the proxy's own defaults apply.
      const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
      const proxy = createProxy(kind, { targets: origins, recorder, ...given });
      started.push(proxy);
      url = `http://${formatEndpoint(await proxy.listen())}${path}`;
    }
    return { url, originPorts: origins.map((o) => o.port), close };
  } catch (err) {
    await close();
    throw err;
  }
}
