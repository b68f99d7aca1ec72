import { z } from 'zod';
import { parseDuration } from '@keepalive-lab/core';

/**
 * The one schema of scenario files (DESIGN.md). Files and `--set` overrides
 * both go through it; durations are parsed here, once, into ms. Unknown keys
 * are errors: a typo (`keepAliveTimout`) must not silently run the default.
 */

/** `2s` → 2000. Refuses bare numbers: `2` could be seconds or ms. */
const duration = z.string({ invalid_type_error: 'a duration like 500ms, 2s or 1m' }).transform((s, ctx) => {
  const r = parseDuration(s);
  if (!r.ok) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `a duration like 500ms, 2s or 1m, found ${JSON.stringify(s)}` });
    return z.NEVER;
  }
  return r.value;
});

const count = (min: number) => z.number({ invalid_type_error: 'a whole number' }).int('a whole number').min(min, `a whole number ≥ ${min}`);
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
    responseBytes: count(0).optional(),
    faults: faultsSchema.default({}),
  })
  .strict();

/** L7 proxy knobs; absent ones take the proxy's own defaults (packages/proxies/src/l7/options.ts). */
const l7Options = {
  balance: z.enum(['rr', 'least', 'sticky']).optional(),
  maxSockets: count(1).optional(), // upstream sockets per target, busy and idle
  maxIdleSockets: count(0).optional(), // pooled idle sockets per target
  poolIdleTimeout: duration.optional(),
  keepAliveHint: z.boolean().optional(), // honour the origin's Keep-Alive: timeout=N
  keepAliveHintMargin: duration.optional(), // expire a pooled socket this long before the hint says
  retryStale: z.boolean().optional(), // retry an idempotent request once on a fresh socket
  upstreamTimeout: duration.optional(),
  headerTimeout: duration.optional(),
};

const proxyKinds = [
  z.object({ kind: z.literal('naive-l4') }).strict(),
  z.object({ kind: z.literal('pipe-l4') }).strict(),
  z.object({ kind: z.literal('l7'), ...l7Options }).strict(),
  /** The same duties on node's llhttp directly: the speed path (packages/proxies/src/l7-fast). */
  z.object({ kind: z.literal('l7-fast'), ...l7Options }).strict(),
  /**
   * The real nginx, started by the lab (packages/proxies/src/real): `keepalive` is
   * nginx's upstream `keepalive N` (idle connections cached per worker, 0 = none),
   * `keepaliveTimeout` its upstream `keepalive_timeout`.
   */
  z.object({ kind: z.literal('nginx'), keepalive: count(0).optional(), keepaliveTimeout: duration.optional() }).strict(),
  /**
   * The real HAProxy, started by the lab: `reuse` is the backend's `http-reuse`
   * (default `safe`, HAProxy's), `keepAliveTimeout` its `timeout http-keep-alive`.
   */
  z.object({ kind: z.literal('haproxy'), reuse: z.enum(['never', 'safe', 'aggressive', 'always']).optional(), keepAliveTimeout: duration.optional() }).strict(),
  /** A proxy the lab does not start (one run by hand): the client goes to `url`. */
  z.object({ kind: z.literal('external'), url: z.string().url() }).strict(),
] as const;

/** Every `proxy.kind` a scenario may name, read off the schema so messages never fall behind it. */
export const PROXY_KIND_NAMES: readonly string[] = proxyKinds.map((o) => o.shape.kind.value);
export const PROXY_KIND_EXPECTED = `kind: one of ${PROXY_KIND_NAMES.join(', ')}`;

export const proxySchema = z.discriminatedUnion('kind', [...proxyKinds], { errorMap: () => ({ message: PROXY_KIND_EXPECTED }) });

export const clientSchema = z
  .object({
    requests: count(1).max(1_000_000).default(20),
    concurrency: count(1).max(100_000).optional(), // default: all requests at once
    keepAlive: z.boolean().default(true),
    maxSockets: count(0).default(0), // 0 = unlimited (Node ≥ 0.12's default)
    method: z.string().regex(/^[A-Z]+$/, 'an HTTP method in capitals').default('GET'),
    engine: z.enum(['agent', 'fast']).default('agent'),
    timeout: duration.default('60s'),
    /** Time between request starts, to spread a run over a fault (agent engine only). */
    interval: duration.default('0ms'),
    path: z.string().startsWith('/').default('/'),
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
  })
  .strict();

export const scenarioSchema = z
  .object({
    name,
    title: z.string().min(1),
    tags: z.array(z.string()).default([]),
    story: z.string().default(''),
    origins: z.array(originSchema).min(1).default([{}]),
    proxy: proxySchema.optional(),
    client: clientSchema.default({}),
    analysis: analysisSchema.default({}),
    expect: z.array(expectationSchema).default([]),
    variants: z.array(variantSchema).optional(),
  })
  .strict();

export type Scenario = z.output<typeof scenarioSchema>;
export type OriginSpec = z.output<typeof originSchema>;
export type ProxySpec = z.output<typeof proxySchema>;
export type ClientSpec = z.output<typeof clientSchema>;
export type Expectation = z.output<typeof expectationSchema>;
export type VariantSpec = z.output<typeof variantSchema>;
