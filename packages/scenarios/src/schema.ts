import { z } from 'zod';
import { countField, durationField } from '@keepalive-lab/core';
import { PROXY_COMPONENTS, PROXY_KINDS } from '@keepalive-lab/proxies';

/**
 * The one schema of scenario files (DESIGN.md). Files and `--set` overrides
 * both go through it; durations are parsed here, once, into ms. Unknown keys
 * are errors: a typo (`keepAliveTimout`) must not silently run the default.
 */

const duration = durationField;
const count = countField;
const name = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes');

export const faultsSchema = z
  .object({
    /** Destroy a connection without a byte when a request arrives on it as nth ≥ 2 (stale pooled socket). */
    dropOnReuse: z.boolean().default(false),
    /** Write head and half the body, then reset. */
    resetMidResponse: z.boolean().default(false),
    /** Read requests, never answer. */
    silent: z.boolean().default(false),
    /** Refuse connections for this long after start, then serve on the same port (an origin restarting). */
    downFor: duration.default('0ms'),
  })
  .strict();

export const originSchema = z
  .object({
    name: name.default('origin'),
    /** Fixed port, for a proxy outside the lab to point at; 0 = any. */
    port: count(0).max(65535).default(0),
    keepAliveTimeout: duration.default('5s'), // node:http default
    maxRequestsPerSocket: count(0).default(0), // 0 = unlimited
    keepAliveHint: z.boolean().default(true),
    keepAlive: z.boolean().default(true),
    delay: duration.default('0ms'),
    /**
     * When the idle timer fires, the origin stops reading for this long: a
     * request that arrives then is dropped without a byte (the request that
     * crossed the FIN in flight), then the socket closes. 0ms = close at once.
     */
    closeWindow: duration.default('0ms'),
    /** Added to keepAliveTimeout before an idle socket closes: 1s is Node's; 0ms closes at the timeout, as Go, Apache and most servers do. */
    idleCloseBuffer: duration.default('1s'),
    responseBytes: count(0).optional(),
    faults: faultsSchema.default({}),
  })
  .strict();

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
    requests: count(1).max(1_000_000).default(20),
    concurrency: count(1).max(100_000).optional(), // default: all requests at once
    keepAlive: z.boolean().default(true),
    maxSockets: count(0).default(0), // 0 = unlimited (Node ≥ 0.12's default)
    method: z
      .string()
      .regex(/^[A-Z]+$/, 'an HTTP method in capitals')
      .default('GET'),
    engine: z.enum(['agent', 'fast']).default('agent'),
    timeout: duration.default('60s'),
    /** Time between request starts, to spread a run over a fault. */
    interval: duration.default('0ms'),
    /**
     * Gaps stepped evenly from `from` to `to` across the requests (one
     * connection, concurrency 1): hunts the moment an idle pooled socket meets
     * the server's close. Replaces `interval`.
     */
    intervalSweep: z
      .object({ from: duration, to: duration })
      .strict()
      .refine((r) => r.from <= r.to, { message: 'from ≤ to (a sweep runs from the shorter gap to the longer)' })
      .optional(),
    path: z.string().startsWith('/').default('/'),
    /** Send `x-lab-hop: 1` named in `Connection`: a proxy must strip it (origin.hopHeaderLeaks counts those that arrived). */
    hopHeader: z.boolean().default(false),
  })
  .strict();

/** A number, a duration, or a formula over scenario fields: see expected-value.ts. */
const value = z.union([z.number(), z.string().min(1)]);
export const expectationSchema = z
  .object({
    metric: z.string().min(1),
    equals: value.optional(),
    atLeast: value.optional(),
    atMost: value.optional(),
    /** One line a reader sees next to the check: what it proves. */
    why: z.string().optional(),
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
    metric: z.string().min(1),
    label: z.string().min(1),
    equals: value.optional(),
    atLeast: value.optional(),
    atMost: value.optional(),
  })
  .strict();

/** Where the run's sockets live: the host's loopback, or a network namespace of the run's own. */
export const networkSchema = z
  .object({
    /** Run the whole scenario in a private network namespace (`unshare -rn`), loopback only. */
    namespace: z.boolean().default(false),
    /** The namespace's ip_local_port_range, `[first, last]`: a narrow one makes port exhaustion happen in seconds. */
    localPortRange: z
      .tuple([count(1024).max(65535), count(1024).max(65535)])
      .refine(([a, b]) => a <= b, { message: 'first ≤ last' })
      .optional(),
  })
  .strict();

export const analysisSchema = z
  .object({
    /** Completions further apart than this start a new batch. */
    batchGap: duration.default('250ms'),
  })
  .strict();

export const variantSchema = z
  .object({
    name,
    title: z.string().optional(),
    /** Overrides applied to the scenario for this variant: `{ "client.maxSockets": 0 }`. */
    set: z.record(z.unknown()).default({}),
    expect: z.array(expectationSchema).default([]),
    observe: z.array(observeSchema).default([]),
  })
  .strict();

export const scenarioSchema = z
  .object({
    name,
    title: z.string().min(1),
    tags: z.array(z.string()).default([]),
    story: z.string().default(''),
    origins: z.array(originSchema).min(1).default([{}]),
    /** A chain of one; `proxies:` is the general form. */
    proxy: proxySchema.optional(),
    /** Client → first → … → last → origins (e.g. nginx in front of the lab's l7). */
    proxies: z.array(proxySchema).min(1, 'at least one proxy (omit proxies: for none)').optional(),
    client: clientSchema.default({}),
    network: networkSchema.default({}),
    analysis: analysisSchema.default({}),
    expect: z.array(expectationSchema).default([]),
    observe: z.array(observeSchema).default([]),
    variants: z.array(variantSchema).optional(),
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
