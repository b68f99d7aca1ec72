import type { ClientRecord, HopRecord, LabEvent, OriginRequestEvent, ProxyForwardEvent, RequestRecord } from '@keepalive-lab/core';

/** One hop of the chain as the joined record needs it: its kind and the `proxy` name its events carry. */
export interface HopSpec {
  kind: string;
  name: string;
}

/**
 * Joins what the client, the proxies and the origin saw into one record per
 * request, by `x-lab-request-id`. The origin's own events win over the
 * headers it stamped (they exist even when the response never arrived);
 * headers fill in when the origin is outside the run. A field nobody saw is
 * null, never guessed. `chain`: the proxies between client and origin,
 * client side first (none for a direct run).
 */
export function joinRecords(client: ClientRecord[], events: LabEvent[], chain: readonly HopSpec[] = []): RequestRecord[] {
  const atOrigin = new Map<string, OriginRequestEvent>();
  /** Per hop name, per request id: the L7 forward event (the last attempt's). */
  const forwarded = new Map<string, Map<string, ProxyForwardEvent>>();
  /** Per hop name, per client connection: the port it was accepted from. */
  const accepted = new Map<string, Map<number, number | null>>();
  for (const e of events) {
    if (e.source === 'origin' && e.event === 'request' && e.id !== null)
      atOrigin.set(e.id, e); // the last attempt is the one answered
    else if (e.source === 'proxy' && e.event === 'forward' && e.id !== null)
      (forwarded.get(e.proxy) ?? forwarded.set(e.proxy, new Map()).get(e.proxy))?.set(e.id, e);
    else if (e.source === 'proxy' && e.event === 'client-open')
      (accepted.get(e.proxy) ?? accepted.set(e.proxy, new Map()).get(e.proxy))?.set(e.clientConn, e.clientPort);
  }
  return client.map((c) => {
    const o = atOrigin.get(c.id);
    const originPort = o ? o.remotePort : c.originPort;
    const hops = hopPorts(c, chain, originPort, forwarded, accepted);
    const record: RequestRecord = {
      id: c.id,
      start: c.start,
      end: c.end,
      status: c.status,
      error: c.error,
      clientPort: c.clientPort,
      reused: c.reused,
      // The first proxy's, as the record has always meant (docs/reference.md); every hop's is in `hops`.
      upstreamPort: hops[0]?.upstreamPort ?? null,
      originPort,
      origin: o ? o.origin : c.origin,
      originConn: o ? o.conn : c.originConn,
      nthOnConn: o ? o.nth : c.nthOnConn,
      responseHop: c.responseHop ?? null,
    };
    if (chain.length > 1) record.hops = hops;
    return record;
  });
}

/**
 * Each hop's two ports for one request. The last hop's upstream socket is
 * the one the origin saw (loopback, no NAT): its local port is the origin's
 * remote port, whoever wrote the proxy. An L7 lab hop says per request
 * which client connection it came on and which upstream socket it left on;
 * a black-box hop's ports are then read off its neighbours; null otherwise.
 * A hop's client port is the upstream port of the hop in front of it.
 */
function hopPorts(
  c: ClientRecord,
  chain: readonly HopSpec[],
  originPort: number | null,
  forwarded: Map<string, Map<string, ProxyForwardEvent>>,
  accepted: Map<string, Map<number, number | null>>,
): HopRecord[] {
  const hops: HopRecord[] = chain.map((h, i) => {
    const f = forwarded.get(h.name)?.get(c.id);
    const last = i === chain.length - 1;
    return {
      kind: h.kind,
      // The first hop's client is the lab's; a later lab L7 hop says which connection (and so port) the request came on.
      clientPort: i === 0 ? c.clientPort : f ? (accepted.get(h.name)?.get(f.clientConn) ?? null) : null,
      upstreamPort: f ? f.localPort : last && originPort !== null ? originPort : null,
    };
  });
  // One socket, two ends: a hop's upstream port is the next hop's client port, whichever of the two was seen.
  for (let i = 0; i + 1 < hops.length; i++) {
    const [a, b] = [hops[i] as HopRecord, hops[i + 1] as HopRecord];
    a.upstreamPort ??= b.clientPort;
    b.clientPort ??= a.upstreamPort;
  }
  return hops;
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
