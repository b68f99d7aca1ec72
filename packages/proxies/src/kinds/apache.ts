import { join } from 'node:path';
import { z } from 'zod';
import { countField, durationField, formatEndpoint, type Endpoint } from '@keepalive-lab/core';
import { indentLines } from './peer-config.js';
import { realPeer } from './real-peer.js';

/** Debian's module dir (a LAB_APACHE build elsewhere needs its own configFile). */
const MODULES = '/usr/lib/apache2/modules';
/**
 * The proxy's modules, plus env and headers for `directives:` (SetEnv
 * proxy-nokeepalive, Header, RequestHeader). mod_unixd is compiled into
 * Debian's apache2: LoadModule would only warn.
 */
const LOAD = [
  ['mpm_event', 'mod_mpm_event'],
  ['authz_core', 'mod_authz_core'],
  ['proxy', 'mod_proxy'],
  ['proxy_http', 'mod_proxy_http'],
  ['proxy_balancer', 'mod_proxy_balancer'],
  ['lbmethod_byrequests', 'mod_lbmethod_byrequests'],
  ['slotmem_shm', 'mod_slotmem_shm'],
  ['env', 'mod_env'],
  ['headers', 'mod_headers'],
];
/** The user the child drops to: httpd refuses to serve as root. */
const RUN_AS = 'www-data';

/** mod_proxy reads ttl= and retry= with atoi() as seconds (`500ms` would be 500 s): refuse what it cannot take. */
const seconds = (min: number) =>
  durationField.refine((ms) => ms % 1000 === 0 && ms >= min * 1000, `whole seconds, at least ${min}s (mod_proxy reads it in seconds)`);

/** The knobs that are BalancerMember parameters, as ` name=value` pairs. */
function memberParams(knobs: Record<string, unknown>): string {
  const time = (name: string) => (knobs[name] === undefined ? [] : [`${name}=${(knobs[name] as number) / 1000}`]);
  const count = (name: string) => (knobs[name] === undefined ? [] : [`${name}=${knobs[name] as number}`]);
  const reuse = knobs.disablereuse === undefined ? [] : [`disablereuse=${knobs.disablereuse === true ? 'On' : 'Off'}`];
  return [...reuse, ...time('ttl'), ...count('max'), ...time('retry')].map((p) => ` ${p}`).join('');
}

const upstreams = (targets: Endpoint[], params = ''): string =>
  targets.map((t) => `    BalancerMember http://${formatEndpoint(t)}${params}`).join('\n');

/**
 * The real Apache httpd (Debian's apache2, 2.4) as a reverse proxy:
 * mod_proxy_http behind mod_proxy_balancer (byrequests: round-robin), our
 * own config (-f) so nothing of /etc/apache2 is read, in the foreground with
 * its parent as root and one event-MPM child as www-data. One child because
 * mod_proxy pools upstream connections per process: with several, which pool
 * a client meets would be luck. The child needs nothing in the (0700) temp
 * dir: the root parent sets up its mutexes and shared memory before forking.
 * The origin sees the client's Host (ProxyPreserveHost), as behind nginx.
 * `directives:` go in the VirtualHost.
 */
export const apache = realPeer({
  kind: 'apache',
  layer: 'l7',
  summary: 'Apache httpd 2.4 (Debian): mod_proxy_balancer over mod_proxy_http, one event-MPM child and its connection pool',
  peer: { program: 'apache2', envVar: 'LAB_APACHE', debianPackage: 'apache2' },
  directivesIn: 'the `VirtualHost` (at its end)',
  knobs: {
    disablereuse: z
      .boolean()
      .optional()
      .describe('close each upstream connection after its request (BalancerMember disablereuse=On), default Off: pooled'),
    ttl: seconds(1)
      .optional()
      .describe('close a pooled upstream connection idle longer than this when it is next taken (ttl=), default none'),
    max: countField(1).optional().describe('upstream connections per origin in the child (max=), default ThreadsPerChild (25)'),
    retry: seconds(0).optional().describe("how long an origin that failed is skipped (retry=), default httpd's 60s"),
    initialNotPooled: z
      .boolean()
      .optional()
      .describe("a client connection's first request never takes a pooled upstream connection (SetEnv proxy-initial-not-pooled)"),
    keepAliveTimeout: durationField
      .optional()
      .describe("close an idle client connection after this long (KeepAliveTimeout), default httpd's 5s"),
  },
  // KeepAliveTimeout (5s) on the client side; upstream, ttl= if set, else kept until the origin closes it.
  idle: (knobs) => ({
    clientSide: (knobs.keepAliveTimeout as number | undefined) ?? 5_000,
    upstream: knobs.disablereuse === true ? 0 : ((knobs.ttl as number | undefined) ?? Infinity),
    note: 'ttl is checked when a connection is next taken',
  }),
  versionArgs: ['-v'],
  file: 'httpd.conf',
  upstreams: (targets) => upstreams(targets),
  generate(knobs, site) {
    const keepAlive = knobs.keepAliveTimeout as number | undefined;
    const d = site.dir;
    const listen = formatEndpoint(site);
    // ErrorLog: node's stdio pipes are sockets, which httpd cannot open as /dev/stderr (ENXIO); a piped
    // cat writes to the stdout httpd hands it. Spare threads: the one child is never retired nor a second wanted.
    return `ServerRoot ${d}
ServerName lab
PidFile ${join(d, 'httpd.pid')}
DefaultRuntimeDir ${d}
Mutex file:${d} default
ErrorLog "||/bin/cat"
LogLevel warn
${LOAD.map(([name, file]) => `LoadModule ${name}_module ${MODULES}/${file}.so`).join('\n')}
User ${RUN_AS}
Group ${RUN_AS}
StartServers 1
ServerLimit 1
ThreadsPerChild 25
MaxRequestWorkers 25
MinSpareThreads 1
MaxSpareThreads 50${keepAlive === undefined ? '' : `\nKeepAliveTimeout ${keepAlive}ms`}
Listen ${listen}
<VirtualHost ${listen}>
  ProxyPreserveHost On${knobs.initialNotPooled === true ? '\n  SetEnv proxy-initial-not-pooled 1' : ''}
  <Proxy balancer://lab>
${upstreams(site.targets, memberParams(knobs))}
    ProxySet lbmethod=byrequests
  </Proxy>
  ProxyPass / balancer://lab/${indentLines(knobs.directives as string[] | undefined, '  ')}
</VirtualHost>
`;
  },
  // -D FOREGROUND keeps the parent attached; -d: relative paths resolve under the temp dir, not /etc/apache2.
  args: (conf, site) => ['-f', conf, '-d', site.dir, '-D', 'FOREGROUND'],
  // SIGTERM is httpd's immediate stop (SIGWINCH the graceful one); only a child thread blocked on a
  // silent origin holds it up, until the parent SIGKILLs the child after 9 s.
  stopSignal: 'SIGTERM',
});
