import type { ClientRecord, LabEvent, OriginRequestEvent, ProxyForwardEvent, RequestRecord } from '@keepalive-lab/core';

/**
 * Joins what the client, the proxy and the origin saw into one record per
 * request, by `x-lab-request-id`. The origin's own events win over the
 * headers it stamped (they exist even when the response never arrived);
 * headers fill in when the origin is outside the run. A field nobody saw is
 * null, never guessed. `behindProxy`: a proxy stood between client and origin.
 */
export function joinRecords(client: ClientRecord[], events: LabEvent[], behindProxy = false): RequestRecord[] {
  const atOrigin = new Map<string, OriginRequestEvent>();
  const forwarded = new Map<string, ProxyForwardEvent>();
  const upstreamPorts = new Set<number>();
  for (const e of events) {
    if (e.source === 'origin' && e.event === 'request' && e.id !== null) atOrigin.set(e.id, e); // the last attempt is the one answered
    else if (e.source === 'proxy' && e.event === 'forward' && e.id !== null) forwarded.set(e.id, e);
    else if (e.source === 'proxy' && e.event === 'upstream-open' && e.localPort !== null) upstreamPorts.add(e.localPort);
  }
  return client.map((c) => {
    const o = atOrigin.get(c.id);
    const f = forwarded.get(c.id);
    const originPort = o ? o.remotePort : c.originPort;
    // The last proxy's upstream socket is the one the origin saw (loopback, no NAT): its local port is the
    // origin's remote port, whoever wrote the proxy. An L4 lab proxy's own events say the same.
    const upstreamPort = f ? f.localPort : originPort !== null && (behindProxy || upstreamPorts.has(originPort)) ? originPort : null;
    return {
      id: c.id,
      start: c.start,
      end: c.end,
      status: c.status,
      error: c.error,
      clientPort: c.clientPort,
      reused: c.reused,
      upstreamPort,
      originPort,
      origin: o ? o.origin : c.origin,
      originConn: o ? o.conn : c.originConn,
      nthOnConn: o ? o.nth : c.nthOnConn,
      responseHop: c.responseHop ?? null,
    };
  });
}

/**
 * Joins a real peer's access-log lines to the requests they are about: a
 * line carrying `id=<x-lab-request-id>` goes to that request's `proxyLog`.
 * (nginx logs one line per request with the upstream address and status of
 * each attempt: a silent retry shows as two.)
 */
export function joinPeerLogs(requests: RequestRecord[], logs: string[]): void {
  const byId = new Map(requests.map((r) => [r.id, r]));
  for (const log of logs) {
    for (const line of log.split('\n')) {
      const id = /(?:^|\s)id=(\S+)/.exec(line)?.[1];
      const r = id === undefined ? undefined : byId.get(id);
      if (r !== undefined) (r.proxyLog ??= []).push(line.trim());
    }
  }
}
