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

export interface OriginOptions {
  /** Stamped in `x-lab-origin` and every event. Default 'origin'. */
  name?: string;
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
  return {
    name,
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
}

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
