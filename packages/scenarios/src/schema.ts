import { z } from 'zod';
import { countField, durationField } from '@keepalive-lab/core';
import { FAST_REFUSED_WHY, H2C_REFUSED_WHY, ORIGIN_ENGINES, ORIGIN_PROTOCOLS, fastConflicts, h2cConflicts } from '@keepalive-lab/origin';
import { PROXY_COMPONENTS, PROXY_KINDS } from '@keepalive-lab/proxies';
import { fieldDoc } from './reference/field-doc.js';

/**
 * The one schema of scenario files. Files and `--set` overrides both go
 * through it; durations are parsed here, once, into ms. Unknown keys are
 * errors: a typo (`keepAliveTimout`) must not silently run the default.
 * Each field's `.describe(fieldDoc(...))` is its entry in docs/reference.md
 * (generated from here: `pnpm docs:reference`).
 */

const duration = durationField;
const count = countField;
const name = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes');

export const faultsSchema = z
  .object({
    dropOnReuse: z
      .boolean()
      .default(false)
      .describe(fieldDoc('destroy a connection without a byte when a request arrives on it as nth ≥ 2 (a stale pooled socket)', 'true')),
    resetMidResponse: z.boolean().default(false).describe(fieldDoc('write the head and half the body, then reset', 'true')),
    silent: z.boolean().default(false).describe(fieldDoc('read requests, never answer (a hung origin)', 'true')),
    downFor: duration
      .default('0ms')
      .describe(fieldDoc('refuse connections this long after start, then serve on the same port (an origin restarting)', '3s')),
  })
  .strict();

export const originSchema = z
  .object({
    name: name.default('origin').describe(fieldDoc('stamped in `x-lab-origin`; `origin.<name>.requests` counts its requests', 'blue')),
    engine: z
      .enum(ORIGIN_ENGINES)
      .default('node')
      .describe(
        fieldDoc(
          "`node`: node:http itself, whose keep-alive the lab teaches; `fast`: node's llhttp parser on raw sockets with the same " +
            'stamps, events and keep-alive rules, for benchmarking a proxy without the origin being the bottleneck; ' +
            '`protocol: h2c`, `closeWindow` and `faults` must keep their defaults with it',
          'fast',
        ),
      ),
    protocol: z
      .enum(ORIGIN_PROTOCOLS)
      .default('http/1.1')
      .describe(
        fieldDoc(
          '`h2c`: HTTP/2 over cleartext with prior knowledge (one connection, many streams; `nth` = the stream on its connection); ' +
            'the idle close (GOAWAY) and `maxRequestsPerSocket` (GOAWAY after N streams) hold, the HTTP/1.1-only fields ' +
            '(`keepAlive`, `keepAliveHint`, `closeWindow`, `faults`) must keep their defaults',
          'h2c',
        ),
      ),
    port: count(0)
      .max(65535)
      .default(0)
      .describe(fieldDoc('a fixed port, for a proxy outside the lab to point at; 0 = any free port', '8080', 'port')),
    // 5s: node:http's default.
    keepAliveTimeout: duration
      .default('5s')
      .describe(
        fieldDoc(
          "node's `server.keepAliveTimeout`, advertised as `Keep-Alive: timeout=N`; the idle socket closes `idleCloseBuffer` after it",
          '2s',
        ),
      ),
    maxRequestsPerSocket: count(0)
      .default(0)
      .describe(fieldDoc('close a connection after this many requests; 0 = unlimited', '100', 'requests')),
    keepAliveHint: z.boolean().default(true).describe(fieldDoc('send `Keep-Alive: timeout=N`', 'false')),
    keepAlive: z.boolean().default(true).describe(fieldDoc('false: answer every request with `Connection: close` and close', 'false')),
    delay: duration.default('0ms').describe(fieldDoc('wait this long before answering', '200ms')),
    closeWindow: duration
      .default('0ms')
      .describe(
        fieldDoc(
          'when the idle timer fires, a request arriving within this long is recorded and dropped without a byte (the request that ' +
            'crossed the FIN), then the socket closes: the idle-timeout race as a rule; 0ms = close at once',
          '50ms',
        ),
      ),
    idleCloseBuffer: duration
      .default('1s')
      .describe(
        fieldDoc(
          "added to `keepAliveTimeout` before an idle socket closes: 1s is Node's; `0ms` closes at the advertised timeout, " +
            'as Go, Apache and most servers do',
          '0ms',
        ),
      ),
    responseBytes: count(0)
      .optional()
      .describe(fieldDoc('body size of each answer; unset: `ok` and a newline', '65536', 'bytes')),
    faults: faultsSchema.default({}),
  })
  .strict()
  // h2c: every HTTP/1.1-only field left at its default (the list is the origin's own: options.ts H2C_REFUSED).
  .superRefine((o, ctx) => {
    // The fast engine: every knob resting on node:http's own objects left at its default (options.ts FAST_REFUSED).
    if (o.engine === 'fast')
      for (const c of fastConflicts(o))
        ctx.addIssue({ code: 'custom', path: c.path.split('.'), message: `${c.expected} (${FAST_REFUSED_WHY})` });
    if (o.protocol !== 'h2c') return;
    for (const c of h2cConflicts(o))
      ctx.addIssue({ code: 'custom', path: c.path.split('.'), message: `${c.expected} (${H2C_REFUSED_WHY})` });
  });

/**
 * The `proxy:` block: one strict object per registered kind, its knobs read
 * off the registry (packages/proxies/src/kinds), so a kind and its knobs are
 * declared once.
 */
const proxyKinds = PROXY_COMPONENTS.map((c) => z.object({ kind: z.literal(c.kind), ...c.knobs }).strict());

/** What a bad `proxy.kind` is told: every kind the registry has. */
export const PROXY_KIND_EXPECTED = `kind: one of ${PROXY_KINDS.join(', ')}`;

export const proxySchema = z.discriminatedUnion('kind', proxyKinds as unknown as [z.AnyZodObject, ...z.AnyZodObject[]], {
  errorMap: () => ({ message: PROXY_KIND_EXPECTED }),
});

export const clientSchema = z
  .object({
    requests: count(1)
      .max(1_000_000)
      .default(20)
      .describe(fieldDoc('requests in all', '100', 'requests')),
    concurrency: count(1)
      .max(100_000)
      .optional()
      .describe(fieldDoc('requests in flight at once; unset: all of them', '5', 'requests')),
    keepAlive: z.boolean().default(true).describe(fieldDoc('false: `Connection: close`, a new socket per request', 'false')),
    maxSockets: count(0)
      .default(0)
      .describe(fieldDoc("the Agent's pool per origin; 0 = unlimited (Node ≥ 0.12's default; older Node had 5)", '5', 'sockets')),
    method: z
      .string()
      .regex(/^[A-Z]+$/, 'an HTTP method in capitals')
      .default('GET')
      .describe(fieldDoc('POST, PUT and PATCH send a small body', 'POST')),
    engine: z.enum(['agent', 'fast']).default('agent').describe(fieldDoc('`agent` (node:http) or `fast` (raw sockets)', 'fast')),
    timeout: duration
      .default('60s')
      .describe(fieldDoc('per request, once it has a socket; past it the request fails with `TIMEOUT`', '5s')),
    interval: duration
      .default('0ms')
      .describe(fieldDoc('time between request starts (both engines), to spread a run over a fault', '100ms')),
    intervalSweep: z
      .object({
        from: duration.describe(fieldDoc('the first gap', '900ms')),
        to: duration.describe(fieldDoc('the last gap (≥ from)', '1100ms')),
      })
      .strict()
      .refine((r) => r.from <= r.to, { message: 'from ≤ to (a sweep runs from the shorter gap to the longer)' })
      .optional()
      .describe(
        fieldDoc(
          "gaps stepped evenly from `from` to `to` across the requests, replacing `interval`; at concurrency 1 each gap is the socket's " +
            "idle time after the previous answer (hunts the moment an idle pooled socket meets the server's close)",
          '{ from: 900ms, to: 1100ms }',
        ),
      ),
    path: z.string().startsWith('/').default('/').describe(fieldDoc('request path', '/big')),
    hopHeader: z
      .boolean()
      .default(false)
      .describe(
        fieldDoc(
          'send `x-lab-hop: 1` named in `Connection`: a proxy must strip it (`origin.hopHeaderLeaks` counts those that arrived)',
          'true',
        ),
      ),
  })
  .strict();

/** A number, a duration, or a formula over scenario fields: see expected-value.ts. */
const value = z.union([z.number(), z.string().min(1)]);
const bound = (meaning: string, example: string) =>
  value.optional().describe(fieldDoc(`${meaning}: a number, a duration or a formula over the scenario's fields`, example));
const metric = (meaning: string, example: string) => z.string().min(1).describe(fieldDoc(meaning, example));
export const expectationSchema = z
  .object({
    metric: metric('the metric checked (one of the metrics below; checked at load)', 'client.distinctPorts'),
    equals: bound('the metric must equal this', '5'),
    atLeast: bound('the metric must be at least this', '2s'),
    atMost: bound('the metric must be at most this', 'client.requests / client.maxSockets'),
    why: z
      .string()
      .optional()
      .describe(fieldDoc('one line a reader sees next to the check: what it proves', 'one socket per pooled connection')),
  })
  .strict()
  .refine((e) => [e.equals, e.atLeast, e.atMost].some((v) => v !== undefined), {
    message: 'one of equals, atLeast, atMost',
  });

/**
 * A behaviour the scenario contributes to `lab matrix`: the metric measured
 * for every proxy kind, the one-line label of its row, and optionally the
 * bound that marks a cell ✓ (holds) or ✗ (does not); without one the cell
 * shows the value alone.
 */
export const observeSchema = z
  .object({
    metric: metric("the metric measured in every proxy kind's column", 'proxy.retries'),
    label: z.string().min(1).describe(fieldDoc("the row's one-line label", 'retries a GET on a stale pooled socket')),
    equals: bound('✓ when the metric equals this, ✗ when not (no bound: the cell shows the value alone)', '0'),
    atLeast: bound('✓ when the metric is at least this', '1'),
    atMost: bound('✓ when the metric is at most this', '0'),
  })
  .strict();

/** Where the run's sockets live: the host's loopback, or a network namespace of the run's own. */
export const networkSchema = z
  .object({
    namespace: z
      .boolean()
      .default(false)
      .describe(fieldDoc('run the whole scenario (every variant) in a network namespace of its own (`unshare -rn`): below', 'true')),
    localPortRange: z
      .tuple([count(1024).max(65535), count(1024).max(65535)])
      .refine(([a, b]) => a <= b, { message: 'first ≤ last' })
      .optional()
      .describe(
        fieldDoc(
          "`[first, last]`: the namespace's `ip_local_port_range` (200 ports run out in a fraction of a second); " +
            "unset: the namespace's own; the host's is never changed",
          '[40000, 40199]',
          'ports',
        ),
      ),
  })
  .strict();

export const analysisSchema = z
  .object({
    batchGap: duration.default('250ms').describe(fieldDoc('answers further apart than this start a new wave (`batches`)', '1s')),
  })
  .strict();

export const variantSchema = z
  .object({
    name: name.describe(fieldDoc("the variant's name: its metrics are keyed `<variant>:<metric>`", 'no-pool')),
    title: z.string().optional().describe(fieldDoc('one line', 'without a client pool')),
    set: z
      .record(z.unknown())
      .default({})
      .describe(fieldDoc('overrides applied to the scenario for this variant, as `--set` would', '{ client.maxSockets: 0 }')),
    expect: z.array(expectationSchema).default([]).describe(fieldDoc("this variant's checks", '[{ metric: batches, equals: 1 }]')),
    observe: z
      .array(observeSchema)
      .default([])
      .describe(fieldDoc("this variant's matrix rows", '[{ metric: proxy.retries, label: retries }]')),
  })
  .strict();

export const scenarioSchema = z
  .object({
    name: name.describe(fieldDoc('names the scenario and its results folder', 'keepalive-l4')),
    title: z.string().min(1).describe(fieldDoc('one line', "The blog's L4 forwarder stalls keep-alive clients")),
    tags: z.array(z.string()).default([]).describe(fieldDoc('shown by `lab list`', '[seed, l4]')),
    story: z
      .string()
      .default('')
      .describe(fieldDoc('markdown: what this shows and why (printed by `lab run` and `lab explain`)', "'The forwarder waits for EOF.'")),
    origins: z
      .array(originSchema)
      .min(1)
      .default([{}])
      .describe(fieldDoc("the lab's origins; by default one, with every default (named `origin`)", '[{ keepAliveTimeout: 2s }]')),
    proxy: proxySchema
      .optional()
      .describe(
        fieldDoc(
          "a proxy between client and origins: `kind` and that kind's knobs (Proxy kinds, below); a chain of one; unset: none",
          '{ kind: nginx, keepalive: 8 }',
        ),
      ),
    proxies: z
      .array(proxySchema)
      .min(1, 'at least one proxy (omit proxies: for none)')
      .optional()
      .describe(
        fieldDoc(
          "a chain, client side first (nginx in front of the lab's l7); `proxy:` or `proxies:`, not both. Each request's record gets " +
            "`hops: [{ kind, clientPort, upstreamPort }]`; `upstreamPort` stays the first hop's, `proxy.own.*` count the first hop, " +
            '`proxy.upstreamConnections` the last',
          '[{ kind: nginx }, { kind: l7 }]',
        ),
      ),
    client: clientSchema.default({}),
    network: networkSchema.default({}),
    analysis: analysisSchema.default({}),
    expect: z
      .array(expectationSchema)
      .default([])
      .describe(
        fieldDoc(
          'checks the run must pass to be reproduced; each gives one of equals, atLeast, atMost',
          '[{ metric: batches, equals: 4 }]',
        ),
      ),
    observe: z
      .array(observeSchema)
      .default([])
      .describe(fieldDoc('the rows this scenario adds to `lab matrix`', '[{ metric: proxy.retries, label: retries, atMost: 0 }]')),
    variants: z
      .array(variantSchema)
      .optional()
      .describe(
        fieldDoc(
          'runs of the scenario with `set` applied, one after another; unset: one run',
          '[{ name: no-pool, set: { client.maxSockets: 0 } }]',
        ),
      ),
  })
  .strict()
  .refine((s) => s.proxy === undefined || s.proxies === undefined, {
    message: 'proxy: or proxies:, not both (proxy: is a chain of one)',
    path: ['proxies'],
  });

export type Scenario = z.output<typeof scenarioSchema>;
export type OriginSpec = z.output<typeof originSchema>;
/** A `proxy:` block: its kind and that kind's knobs (durations in ms). */
export type ProxySpec = { kind: string } & Record<string, unknown>;
export type ClientSpec = z.output<typeof clientSchema>;
export type Expectation = z.output<typeof expectationSchema>;
export type VariantSpec = z.output<typeof variantSchema>;
export type Observation = z.output<typeof observeSchema>;

/** The run's proxies in order, client side first: `proxies:`, or `proxy:` as a chain of one, or none. */
export const chainOf = (s: Pick<Scenario, 'proxy' | 'proxies'>): ProxySpec[] => (s.proxies ?? (s.proxy ? [s.proxy] : [])) as ProxySpec[];
