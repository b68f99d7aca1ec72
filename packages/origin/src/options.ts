import { LabError, Recorder, type Endpoint } from '@keepalive-lab/core';

/** The fault knobs, all off by default. One file per knob under `faults/`. */
export interface OriginFaults {
  /**
   * A request arriving as nth >= 2 on a connection: destroy the socket without
   * writing a byte. What a client sees when it reuses a pooled socket the
   * server already gave up on (nodejs/node#47130).
   */
  dropOnReuse?: boolean;
  /** Write the head and half the body, then reset the socket (RST). */
  resetMidResponse?: boolean;
  /** Read the request, never answer: a hung origin. */
  silent?: boolean;
  /**
   * ms the origin is down: its listener closes (new connections are refused)
   * and comes back on the same port. An origin restarting behind a proxy;
   * 0 = off. The outage starts at listen(), or at beginOutage() with
   * `outageOnCue` (a scenario starts it once every proxy is up: a proxy
   * slow to start must not sleep through it). See origin.ts.
   */
  downFor?: number;
  /** Start the downFor outage when beginOutage() is called, not at listen(). */
  outageOnCue?: boolean;
}

/** The wire protocols the origin speaks; one per origin. */
export const ORIGIN_PROTOCOLS = ['http/1.1', 'h2c'] as const;
export type OriginProtocol = (typeof ORIGIN_PROTOCOLS)[number];

/** The origin's HTTP/1.1 engines: node:http itself (default), or llhttp on raw sockets (fast/). */
export const ORIGIN_ENGINES = ['node', 'fast'] as const;
export type OriginEngine = (typeof ORIGIN_ENGINES)[number];

export interface OriginOptions {
  /** Stamped in `x-lab-origin` and every event. Default 'origin'. */
  name?: string;
  /**
   * 'node' (default): node:http, whose keep-alive the lab teaches. 'fast':
   * node's own strict llhttp parser on a net server, the same stamps, records
   * and keep-alive rules written by hand (fast/), for benchmarking proxies
   * without the origin being the bottleneck. The knobs that rest on node:http
   * itself (FAST_REFUSED: faults, closeWindow, protocol h2c) are refused with it.
   */
  engine?: OriginEngine;
  /**
   * 'http/1.1' (default): node:http, node's keep-alive as it is. 'h2c':
   * node:http2 over cleartext with prior knowledge (no upgrade, no HTTP/1.1
   * fallback): one TCP connection, many streams (h2c.ts). The HTTP/1.1-only
   * knobs (H2C_REFUSED) are refused with it.
   */
  protocol?: OriginProtocol;
  /** Default 127.0.0.1:0 (any free port). */
  listen?: Endpoint;
  /**
   * ms; node's `server.keepAliveTimeout`. Node advertises floor(this / 1000)
   * seconds and closes an idle socket at this plus `idleCloseBuffer` (node's
   * own 1000 ms unless told otherwise). 0 disables the idle timer (node's meaning).
   */
  keepAliveTimeout?: number;
  /** node's `server.maxRequestsPerSocket`; 0 = unlimited. */
  maxRequestsPerSocket?: number;
  /** Send node's `Keep-Alive: timeout=N` header; false omits it, the idle close stays. */
  keepAliveHint?: boolean;
  /** False answers every request with `Connection: close`. */
  keepAlive?: boolean;
  /** ms to wait before answering each request. */
  delay?: number;
  /**
   * ms. When the idle timer fires the origin enters a closing window this
   * long: a request that arrives in it is dropped without a byte (as if it
   * crossed the FIN in flight), then the socket closes. 0 = close at once.
   * See faults/close-window.ts.
   */
  closeWindow?: number;
  /**
   * ms added to keepAliveTimeout before an idle socket closes; default 1000
   * (Node's), 0 = at the timeout (Go, Apache...). The advertised hint stays
   * keepAliveTimeout. See idle-close-buffer.ts.
   */
  idleCloseBuffer?: number;
  /** Response body size in bytes; default a short text body. */
  responseBytes?: number;
  faults?: OriginFaults;
  /** Where events go. Without one, a private recorder that keeps nothing. */
  recorder?: Recorder;
}

export interface ResolvedOriginOptions {
  name: string;
  engine: OriginEngine;
  protocol: OriginProtocol;
  listen: Endpoint;
  keepAliveTimeout: number;
  maxRequestsPerSocket: number;
  keepAliveHint: boolean;
  keepAlive: boolean;
  delay: number;
  closeWindow: number;
  idleCloseBuffer: number;
  /** null: the default short text body. */
  responseBytes: number | null;
  faults: Required<OriginFaults>;
  recorder: Recorder;
}

/** Defaults in one place; units in comments. */
export const ORIGIN_DEFAULTS = {
  name: 'origin',
  engine: 'node' as OriginEngine,
  protocol: 'http/1.1' as OriginProtocol,
  listen: { host: '127.0.0.1', port: 0 },
  keepAliveTimeout: 5000, // ms, Node 20's own default
  maxRequestsPerSocket: 0, // unlimited
  keepAliveHint: true,
  keepAlive: true,
  delay: 0, // ms
  closeWindow: 0, // ms: close at once, node's behaviour
  idleCloseBuffer: 1000, // ms: node's HTTP_SERVER_KEEP_ALIVE_TIMEOUT_BUFFER
} as const;

/** What the origin answers when `responseBytes` is not set. */
export const DEFAULT_BODY = 'ok\n';

/** Checks every option up front and fills defaults; throws a LabError naming the option. */
export function resolveOriginOptions(options: OriginOptions = {}): ResolvedOriginOptions {
  const name = options.name ?? ORIGIN_DEFAULTS.name;
  if (typeof name !== 'string' || name === '' || !/^[\x21-\x7e]+$/.test(name)) {
    throw badOption('name', 'a non-empty name of visible ASCII characters (it goes in a header)', name);
  }
  const engine = options.engine ?? ORIGIN_DEFAULTS.engine;
  if (!ORIGIN_ENGINES.includes(engine)) throw badOption('engine', ORIGIN_ENGINES.join(' or '), engine);
  const protocol = options.protocol ?? ORIGIN_DEFAULTS.protocol;
  if (!ORIGIN_PROTOCOLS.includes(protocol)) throw badOption('protocol', ORIGIN_PROTOCOLS.join(' or '), protocol);
  const resolved: ResolvedOriginOptions = {
    name,
    engine,
    protocol,
    listen: options.listen ?? { ...ORIGIN_DEFAULTS.listen },
    keepAliveTimeout: count('keepAliveTimeout', options.keepAliveTimeout, ORIGIN_DEFAULTS.keepAliveTimeout),
    maxRequestsPerSocket: count('maxRequestsPerSocket', options.maxRequestsPerSocket, ORIGIN_DEFAULTS.maxRequestsPerSocket),
    keepAliveHint: options.keepAliveHint ?? ORIGIN_DEFAULTS.keepAliveHint,
    keepAlive: options.keepAlive ?? ORIGIN_DEFAULTS.keepAlive,
    delay: count('delay', options.delay, ORIGIN_DEFAULTS.delay),
    closeWindow: count('closeWindow', options.closeWindow, ORIGIN_DEFAULTS.closeWindow),
    idleCloseBuffer: count('idleCloseBuffer', options.idleCloseBuffer, ORIGIN_DEFAULTS.idleCloseBuffer),
    responseBytes: options.responseBytes === undefined ? null : count('responseBytes', options.responseBytes, 0),
    faults: {
      dropOnReuse: options.faults?.dropOnReuse ?? false,
      resetMidResponse: options.faults?.resetMidResponse ?? false,
      silent: options.faults?.silent ?? false,
      downFor: count('faults.downFor', options.faults?.downFor, 0),
      outageOnCue: options.faults?.outageOnCue ?? false,
    },
    // Keeps nothing: a long-running origin must not grow without bound when
    // nobody collects its events. Pass a recorder to collect them.
    recorder: options.recorder ?? new Recorder({ keep: false }),
  };
  if (engine === 'fast') {
    const [first] = fastConflicts(resolved);
    if (first !== undefined) throw badOption(first.path, `${first.expected} (${FAST_REFUSED_WHY})`, first.found);
  }
  if (protocol === 'h2c') {
    const [first] = h2cConflicts(resolved);
    if (first !== undefined) throw badOption(first.path, `${first.expected} (${H2C_REFUSED_WHY})`, first.found);
  }
  return resolved;
}

/** Why a knob is refused with h2c, in every message that refuses one. */
export const H2C_REFUSED_WHY = 'HTTP/1.1 only; protocol h2c';
/** Why a knob is refused with the fast engine, in every message that refuses one. */
export const FAST_REFUSED_WHY = "node engine only; engine 'fast'";

/** What the refusals read: resolved options, or a scenario's origin (durations in ms). Loose: a scenario may be half-valid. */
export interface RefusalCheckable {
  protocol?: unknown;
  keepAlive?: unknown;
  keepAliveHint?: unknown;
  closeWindow?: unknown;
  faults?: { dropOnReuse?: unknown; resetMidResponse?: unknown; silent?: unknown; downFor?: unknown } | undefined;
}

interface RefusalRule {
  expected: string;
  /** Whether the value found at the rule's path is set to anything but its default. */
  isSet: (value: unknown) => boolean;
}

const positive = (v: unknown): boolean => typeof v === 'number' && v > 0;
const isTrue = (v: unknown): boolean => v === true;
const isFalse = (v: unknown): boolean => v === false;

/**
 * Each knob that one of the other servers cannot honour, by its path (the
 * option's, and the scenario field's under `origins.N.`): set to anything
 * but its default, it is refused with that server (H2C_REFUSED, FAST_REFUSED).
 */
const RULES = {
  protocol: { expected: "'http/1.1'", isSet: (v) => v === 'h2c' },
  keepAlive: { expected: 'true', isSet: isFalse },
  keepAliveHint: { expected: 'true', isSet: isFalse },
  closeWindow: { expected: '0', isSet: positive },
  'faults.dropOnReuse': { expected: 'false', isSet: isTrue },
  'faults.resetMidResponse': { expected: 'false', isSet: isTrue },
  'faults.silent': { expected: 'false', isSet: isTrue },
  'faults.downFor': { expected: '0', isSet: positive },
} satisfies Record<string, RefusalRule>;

type RulePath = keyof typeof RULES;
const FAULT_PATHS: RulePath[] = ['faults.dropOnReuse', 'faults.resetMidResponse', 'faults.silent', 'faults.downFor'];

/**
 * Refused with `protocol: 'h2c'`: the HTTP/1.1 mechanisms. The fault knobs
 * under faults/ act on one HTTP/1.1 socket per request exchange; the closing
 * window hooks node:http's idle 'timeout'; `Connection: close` and the
 * `Keep-Alive: timeout=N` hint are connection-specific headers HTTP/2 forbids
 * (RFC 9113 §8.2.2); `faults.downFor`'s outage rests on node:http closing
 * idle keep-alive sockets at server.close(), which node:http2 does not do
 * for idle sessions (`down` would wait for every session to end).
 */
export const H2C_REFUSED: readonly RulePath[] = ['keepAlive', 'keepAliveHint', 'closeWindow', ...FAULT_PATHS];

/**
 * Refused with `engine: 'fast'`: each rests on node:http's own objects, which
 * the fast engine does not have. The fault knobs act on a ServerResponse
 * (faults/) and `downFor` on node:http closing idle sockets at
 * server.close(); the closing window hooks node's idle 'timeout'; h2c is
 * node:http2's server.
 */
export const FAST_REFUSED: readonly RulePath[] = ['protocol', 'closeWindow', ...FAULT_PATHS];

/** The value at a rule's path: a top-level knob, or one under `faults.`. */
function valueAt(o: RefusalCheckable, path: RulePath): unknown {
  const dot = path.indexOf('.');
  if (dot < 0) return o[path as Exclude<keyof RefusalCheckable, 'faults'>];
  return o.faults?.[path.slice(dot + 1) as keyof NonNullable<RefusalCheckable['faults']>];
}

function conflicts(paths: readonly RulePath[], o: RefusalCheckable): { path: string; expected: string; found: unknown }[] {
  const found: { path: string; expected: string; found: unknown }[] = [];
  for (const path of paths) {
    const value = valueAt(o, path);
    if (RULES[path].isSet(value)) found.push({ path, expected: RULES[path].expected, found: value });
  }
  return found;
}

/** The HTTP/1.1-only knobs set on options meant for h2c, in H2C_REFUSED's order; empty when none. */
export const h2cConflicts = (o: RefusalCheckable) => conflicts(H2C_REFUSED, o);

/** The node-only knobs set on options meant for the fast engine, in FAST_REFUSED's order; empty when none. */
export const fastConflicts = (o: RefusalCheckable) => conflicts(FAST_REFUSED, o);

function count(option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw badOption(option, 'a whole number >= 0', value);
  }
  return value;
}

function badOption(option: string, expected: string, found: unknown): LabError {
  return new LabError('LAB_ERR_USAGE', `origin option ${option}: expected ${expected}, found ${JSON.stringify(found)}`, {
    path: option,
    expected,
    found: JSON.stringify(found),
  });
}
