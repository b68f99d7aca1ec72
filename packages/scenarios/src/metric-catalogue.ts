/**
 * Every metric a run can produce: its name (or pattern: `<name>` is an
 * origin's name, `<CODE>` an error code), what it counts, and whose records
 * it is read from. docs/reference.md documents exactly these (a test holds
 * the two equal), and scenario files are checked against them at load: a
 * typo in `expect:` or `observe:` must not read as "missing ✗" after a run.
 */
export interface MetricEntry {
  name: string;
  /** Whose records: the client's, the origin's, both ends, the lab's own proxy, or the run itself. */
  from: 'client' | 'origin' | 'both ends' | 'lab proxy' | 'run';
  meaning: string;
}

export const METRICS: readonly MetricEntry[] = [
  { name: 'requests.total', from: 'client', meaning: 'requests the client sent' },
  { name: 'requests.ok', from: 'client', meaning: 'answered with a status below 400' },
  { name: 'requests.failed', from: 'client', meaning: 'answered ≥ 400, or ended in a socket error or timeout' },
  {
    name: 'errors.<CODE>',
    from: 'client',
    meaning: 'failures by code: HTTP_502, ECONNRESET (a reset), EOF (closed without an answer), TIMEOUT, ECONNREFUSED',
  },
  { name: 'failures.http', from: 'client', meaning: 'answered with a status ≥ 400 (0 when none)' },
  { name: 'failures.reset', from: 'client', meaning: 'the connection was reset (ECONNRESET, EPIPE)' },
  { name: 'failures.eof', from: 'client', meaning: 'the connection closed without an answer' },
  { name: 'failures.timeout', from: 'client', meaning: 'no answer within client.timeout' },
  { name: 'failures.refused', from: 'client', meaning: 'the connection was refused' },
  { name: 'failures.other', from: 'client', meaning: 'any other socket error' },
  { name: 'client.distinctPorts', from: 'client', meaning: 'distinct local ports the client used' },
  { name: 'client.connections', from: 'client', meaning: 'connections the client opened (a refused one has no port and does not count)' },
  { name: 'client.reusedRequests', from: 'client', meaning: 'requests sent on a connection that had carried one before' },
  { name: 'origin.distinctPorts', from: 'origin', meaning: 'distinct remote ports the origin saw' },
  { name: 'origin.connections', from: 'origin', meaning: 'connections the origin accepted' },
  {
    name: 'origin.requests',
    from: 'origin',
    meaning: 'requests that reached the origin, counting one dropped by a fault and a retried one twice',
  },
  { name: 'origin.<name>.requests', from: 'origin', meaning: 'requests that reached the origin so named' },
  { name: 'origin.maxRequestsPerConnection', from: 'origin', meaning: 'the most requests one origin connection carried' },
  { name: 'origin.idleCloses', from: 'origin', meaning: 'connections the origin closed for being idle' },
  {
    name: 'origin.sharedConnections',
    from: 'both ends',
    meaning: 'origin connections that carried requests of more than one client connection (pooling across clients)',
  },
  {
    name: 'origin.hopHeaderLeaks',
    from: 'origin',
    meaning: "requests on which x-lab-hop, named in the client's Connection, reached the origin (client.hopHeader)",
  },
  {
    name: 'reuse.ratio',
    from: 'origin',
    meaning: "share of the origin's requests that arrived on a connection that had carried one before (0–1)",
  },
  { name: 'balance.spread', from: 'origin', meaning: 'most requests on one origin ÷ fewest (an origin with none counts 1)' },
  {
    name: 'balance.splitClientConnections',
    from: 'both ends',
    meaning: 'client connections whose requests reached more than one origin (0: balanced per connection)',
  },
  { name: 'proxy.clientConnections', from: 'both ends', meaning: "connections the first proxy accepted: the client's connections" },
  {
    name: 'proxy.upstreamConnections',
    from: 'both ends',
    meaning: "connections the proxy opened to the origins: the origin's connections",
  },
  {
    name: 'proxy.upstreamReuses',
    from: 'both ends',
    meaning: 'requests that reached the origin on an upstream connection that had carried one before',
  },
  {
    name: 'proxy.retries',
    from: 'both ends',
    meaning: 'requests the origin received more than once, counted once per repeat (the client never repeats an id)',
  },
  { name: 'proxy.own.clientConnections', from: 'lab proxy', meaning: "the lab proxy's own count of client connections" },
  { name: 'proxy.own.upstreamConnections', from: 'lab proxy', meaning: "the lab proxy's own count of upstream connections opened" },
  {
    name: 'proxy.own.upstreamReuses',
    from: 'lab proxy',
    meaning: "the lab L7 proxy's own count of requests forwarded on a pooled connection",
  },
  { name: 'proxy.own.retries', from: 'lab proxy', meaning: "the lab L7 proxy's own count of retried requests" },
  {
    name: 'proxy.own.upstreamErrors.<CODE>',
    from: 'lab proxy',
    meaning:
      'requests the lab L7 proxy answered 502/504 itself, by what its upstream attempt met: ' +
      'EADDRNOTAVAIL (its connect() found no free local port), ECONNREFUSED, ECONNRESET, UPSTREAM_TIMEOUT',
  },
  {
    name: 'race.dropped',
    from: 'origin',
    meaning:
      'requests that reached an origin connection in its closing window (origins.N.closeWindow) and were dropped without a byte: the idle-timeout race',
  },
  {
    name: 'race.droppedAnswered',
    from: 'both ends',
    meaning: 'of those, requests the client still got an answer for (sent again on a fresh connection)',
  },
  { name: 'race.failedOutsideWindow', from: 'both ends', meaning: 'client failures that no closing window explains' },
  { name: 'latency.first', from: 'client', meaning: 'ms to the first answer, of the request answered first' },
  { name: 'latency.p50', from: 'client', meaning: 'median ms to an answer (answered requests only)' },
  { name: 'latency.p99', from: 'client', meaning: '99th percentile ms to an answer' },
  { name: 'latency.max', from: 'client', meaning: 'slowest answer, ms' },
  { name: 'duration', from: 'run', meaning: 'ms from the first request to the last answer' },
  { name: 'batches', from: 'client', meaning: 'completion waves: answers separated by more than analysis.batchGap' },
  { name: 'timeWait', from: 'run', meaning: "sockets in TIME_WAIT on the origin's port after the run (Linux only)" },
  { name: 'timeWait.origin', from: 'run', meaning: "of those, held by the origin (local port an origin's): it closed first" },
  {
    name: 'timeWait.proxyUpstream',
    from: 'run',
    meaning: "of those, held by the proxy's upstream side (peer port an origin's, behind a proxy): it closed its upstream connection first",
  },
  {
    name: 'timeWait.proxyClient',
    from: 'run',
    meaning:
      "TIME_WAIT sockets held by the first proxy's client side (local port its listen port): it closed the client's connection first",
  },
  {
    name: 'timeWait.client',
    from: 'run',
    meaning:
      "TIME_WAIT sockets held by the client (peer port the first proxy's, or the origin's when direct): it closed first, " +
      'and that port is taken for that destination for 60 s',
  },
];

/** A catalogue name as a pattern: `errors.<CODE>` matches `errors.HTTP_502`; dots are literal. */
export const metricPattern = (name: string): RegExp =>
  new RegExp(`^${name.replace(/\./g, '\\.').replace(/<[A-Za-z]+>/g, '[A-Za-z0-9_-]+')}$`);

const PATTERNS = METRICS.map((m) => metricPattern(m.name));

/** Whether `name` is a metric of the catalogue (a `variant:` prefix is allowed, as `lab compare` writes them). */
export function isKnownMetric(name: string): boolean {
  const bare = name.replace(/^[a-z0-9-]+:/, '');
  return PATTERNS.some((p) => p.test(bare));
}

/** The catalogue's names, for "did you mean". */
export const METRIC_NAMES: readonly string[] = METRICS.map((m) => m.name);
