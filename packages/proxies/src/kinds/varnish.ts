import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { countField, durationField, type Endpoint } from '@keepalive-lab/core';
import { realPeer } from './real-peer.js';

const backends = (targets: Endpoint[], extra = ''): string =>
  targets.map((t, i) => `backend origin${i} {\n  .host = "${t.host}";\n  .port = "${t.port}";${extra}\n}`).join('\n');

/**
 * The knobs that are varnishd parameters, as management commands: args()
 * does not see the knobs, so prepare() writes these to a file varnishd runs
 * with -I before its child starts (a bad value stops the start, with the reason).
 */
function paramCommands(knobs: Record<string, unknown>): string[] {
  const set = (name: string, ms: unknown) => (ms === undefined ? [] : [`param.set ${name} ${(ms as number) / 1000}`]);
  return [...set('backend_idle_timeout', knobs.poolIdleTimeout), ...set('timeout_idle', knobs.keepAliveTimeout)];
}
const PARAMS_FILE = 'params.cli';

/**
 * The real Varnish 7.1 (Debian) as a reverse proxy that caches nothing:
 * vcl_recv returns (pass) for every request, so each one reaches an origin
 * (the lab counts what reaches the origin; a cache hit would hide it). pass,
 * not pipe: pipe would tie one backend connection to each client connection.
 * Backend connections are pooled (Varnish's own keep-alive) unless `pool` is
 * false. `directives:` are top-level VCL placed before the lab's subs, so a
 * `sub vcl_recv { ... }` of yours runs before the lab's `return (pass)`
 * (VCL concatenates a sub's definitions in order).
 */
export const varnish = realPeer({
  kind: 'varnish',
  layer: 'l7',
  summary: 'Varnish 7.1 (Debian) in pass mode: nothing cached, backend connections pooled',
  peer: { program: 'varnishd', envVar: 'LAB_VARNISH', debianPackage: 'varnish' },
  directivesIn: "the VCL at top level, before the lab's `sub vcl_recv` (so a `sub vcl_recv` of yours runs first)",
  knobs: {
    pool: z.boolean().optional().describe('reuse backend connections (default true); false sends each request with Connection: close'),
    poolIdleTimeout: durationField
      .refine((ms) => ms >= 1000, "at least 1s (Varnish's minimum)")
      .optional()
      .describe("backend_idle_timeout: close a pooled backend connection idle this long, default Varnish's 60s"),
    keepAliveTimeout: durationField.optional().describe("timeout_idle: how long an idle client connection is kept, default Varnish's 5s"),
    maxConnections: countField(1).optional().describe("each backend's .max_connections (Varnish 7.1 answers 503 beyond it, no queue)"),
  },
  // timeout_idle (5s) on the client side; backend_idle_timeout (60s) for pooled backend connections.
  idle: (knobs) => ({
    clientSide: (knobs.keepAliveTimeout as number | undefined) ?? 5_000,
    upstream: knobs.pool === false ? 0 : ((knobs.poolIdleTimeout as number | undefined) ?? 60_000),
  }),
  versionArgs: ['-V'],
  file: 'lab.vcl',
  upstreams: (targets) => backends(targets),
  generate(knobs, site) {
    const max = knobs.maxConnections as number | undefined;
    const names = site.targets.map((_t, i) => `origin${i}`);
    const several = names.length > 1;
    const directives = (knobs.directives as string[] | undefined) ?? [];
    // The parameters as comments, so the config the lab records shows them.
    const params = paramCommands(knobs)
      .map((c) => `\n# varnishd -I ${PARAMS_FILE}: ${c}`)
      .join('');
    const blocks = [
      `vcl 4.1;${params}`,
      ...(several ? ['import directors;'] : []),
      backends(site.targets, max === undefined ? '' : `\n  .max_connections = ${max};`),
      ...(several
        ? [`sub vcl_init {\n  new lab = directors.round_robin();${names.map((n) => `\n  lab.add_backend(${n});`).join('')}\n}`]
        : []),
      ...(directives.length > 0 ? [directives.join('\n')] : []),
      `sub vcl_recv {${several ? '\n  set req.backend_hint = lab.backend();' : ''}\n  return (pass);\n}`,
      // Varnish has no switch for backend keep-alive: a bereq with Connection: close makes it close the connection after the response.
      ...(knobs.pool === false ? ['sub vcl_backend_fetch {\n  set bereq.http.Connection = "close";\n}'] : []),
    ];
    return `${blocks.join('\n\n')}\n`;
  },
  prepare: async (site, knobs) => {
    await writeFile(
      join(site.dir, PARAMS_FILE),
      paramCommands(knobs)
        .map((c) => `${c}\n`)
        .join(''),
    );
  },
  // -j none: no privilege separation, so nothing in the temp dir needs to be readable by user varnish.
  // -T none: no management port; -n: the workdir (shared memory, compiled VCL) in the temp dir, not /var/lib/varnish.
  args: (vcl, site) => [
    ...['-F', '-j', 'none', '-T', 'none', '-n', join(site.dir, 'work')],
    ...['-a', `${site.host}:${site.port}`, '-f', vcl, '-s', 'malloc,16m', '-I', join(site.dir, PARAMS_FILE)],
  ],
  // The VCL is compiled by cc at start-up: its temp files go in the temp dir too.
  env: (site) => ({ ...process.env, TMPDIR: site.dir }),
  // The manager stops its child and exits on SIGTERM (as on SIGINT; SIGQUIT it ignores).
  stopSignal: 'SIGTERM',
});
