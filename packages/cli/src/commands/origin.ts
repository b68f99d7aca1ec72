import { Command } from 'commander';
import {
  Recorder,
  formatDuration,
  formatEndpoint,
  parseDuration,
  parseEndpoint,
  type OriginEvent,
  type OriginFaultEvent,
} from '@keepalive-lab/core';
import {
  ORIGIN_DEFAULTS,
  ORIGIN_ENGINES,
  ORIGIN_PROTOCOLS,
  createOrigin,
  type OriginOptions,
  type ResolvedOriginOptions,
} from '@keepalive-lab/origin';
import type { CommandContext } from '../context.js';
import { lineWriter } from '../ndjson.js';
import { jsonPrinter, serveUntilStopped, type ServePrinter } from '../serve.js';
import { oneOf, usageError } from '../flag-errors.js';

/** The flags as commander parses them (strings until validated here). */
interface OriginFlags {
  listen: string;
  name: string;
  engine: string;
  protocol: string;
  keepAliveTimeout: string;
  maxRequestsPerSocket: string;
  keepAliveHint: boolean;
  keepAlive: boolean;
  delay: string;
  idleCloseBuffer: string;
  closeWindow: string;
  dropOnReuse?: boolean;
  resetMidResponse?: boolean;
  silent?: boolean;
  downFor: string;
  json?: boolean;
}

/** The command listens on a fixed port by default; the library's default is any free port. */
const DEFAULT_LISTEN = '127.0.0.1:8080';
/** Node 20 closes an idle keep-alive socket this long after its advertised timeout. */
const NODE_IDLE_BUFFER_MS = ORIGIN_DEFAULTS.idleCloseBuffer;

/**
 * `lab origin [--listen H:P] [--keep-alive-timeout 5s] ...`: runs the
 * port-tracking origin until SIGINT/SIGTERM, printing a line per request
 * (remote port, connection, nth), per fault or drop, and per closed
 * connection (or NDJSON: the origin's events as they are, `fault` included).
 * Every origin option and fault knob has its flag.
 */
export function originCommand(ctx: CommandContext): Command {
  return new Command('origin')
    .description('run the port-tracking origin: prints remote port, connection and nth for every request, and what each fault did')
    .option('--listen <host:port>', 'address to listen on', DEFAULT_LISTEN)
    .option('--name <name>', 'name stamped in x-lab-origin and in events', ORIGIN_DEFAULTS.name)
    .option(
      '--engine <engine>',
      `${ORIGIN_ENGINES.join(' or ')}; node: node:http itself, whose keep-alive the lab teaches; fast: node's llhttp parser on raw sockets, ` +
        'the same stamps, events and keep-alive rules, for benchmarking a proxy without the origin being the bottleneck ' +
        '(the faults, --close-window and --protocol h2c refused with it)',
      ORIGIN_DEFAULTS.engine,
    )
    .option(
      '--protocol <protocol>',
      `${ORIGIN_PROTOCOLS.join(' or ')}; h2c: HTTP/2 over cleartext with prior knowledge (one connection, many streams), ` +
        'the HTTP/1.1-only flags (faults, --close-window, --no-keep-alive, --no-keep-alive-hint) refused with it',
      ORIGIN_DEFAULTS.protocol,
    )
    .option(
      '--keep-alive-timeout <duration>',
      "node's server.keepAliveTimeout, advertised as `Keep-Alive: timeout=N`; 0ms = no idle close",
      formatDuration(ORIGIN_DEFAULTS.keepAliveTimeout),
    )
    .option(
      '--idle-close-buffer <duration>',
      "an idle socket closes this long after the keep-alive timeout: 1s is node's, 0ms closes at the advertised timeout as Go and Apache do",
      formatDuration(ORIGIN_DEFAULTS.idleCloseBuffer),
    )
    .option(
      '--close-window <duration>',
      'when the idle timer fires, close this much later, dropping without a byte any request that arrives meanwhile (the idle-close race, made certain)',
      formatDuration(ORIGIN_DEFAULTS.closeWindow),
    )
    .option(
      '--max-requests-per-socket <n>',
      'close a connection after n requests, 0 = unlimited',
      String(ORIGIN_DEFAULTS.maxRequestsPerSocket),
    )
    .option('--no-keep-alive-hint', 'omit the `Keep-Alive: timeout=N` response header (the idle close stays)')
    .option('--no-keep-alive', 'answer every request with `Connection: close`')
    .option('--delay <duration>', 'wait this long before answering each request', formatDuration(ORIGIN_DEFAULTS.delay))
    .option('--drop-on-reuse', 'fault: close the connection without a byte when a second request arrives on it (a stale pooled socket)')
    .option('--reset-mid-response', 'fault: send the head and half the body, then reset the connection (RST)')
    .option('--silent', 'fault: read each request, never answer (a hung origin)')
    .option('--down-for <duration>', 'fault: once bound, refuse connections this long, then serve on the same port (a restart)', '0ms')
    .option('--json', 'print NDJSON events only')
    .action((flags: OriginFlags) => runOrigin(ctx, flags));
}

async function runOrigin(ctx: CommandContext, flags: OriginFlags): Promise<void> {
  // keep: false — an origin may run for hours; events are printed, not stored.
  const recorder = new Recorder({ keep: false });
  const origin = createOrigin({ ...parseFlags(flags), recorder });
  const print = flags.json ? jsonPrinter<OriginEvent>(ctx) : textPrinter(ctx, origin.options, () => origin.counters);
  await serveUntilStopped(ctx, origin, recorder, (e): e is OriginEvent => e.source === 'origin', listeningFirst(print));
}

/**
 * With --down-for the outage begins inside listen(), so its `down` event
 * comes before the listening line; held back until that line is out (the
 * NDJSON stream starts with it).
 */
function listeningFirst(print: ServePrinter<OriginEvent>): ServePrinter<OriginEvent> {
  let early: OriginEvent[] | null = [];
  return {
    listening(bound) {
      print.listening(bound);
      const held = early ?? [];
      early = null;
      for (const e of held) print.event(e);
    },
    event(e) {
      if (early !== null) early.push(e);
      else print.event(e);
    },
    stopped: (signal) => print.stopped(signal),
  };
}

/** A duration flag's value in ms; a bad one is a LabError naming the flag (exit 2). */
function duration(value: string, flag: string): number {
  const parsed = parseDuration(value, flag);
  if (!parsed.ok) throw parsed.error;
  return parsed.value;
}

function parseFlags(flags: OriginFlags): OriginOptions {
  const listen = parseEndpoint(flags.listen, '--listen');
  if (!listen.ok) throw listen.error;
  if (!/^\d+$/.test(flags.maxRequestsPerSocket))
    throw usageError('--max-requests-per-socket', 'a whole number >= 0', flags.maxRequestsPerSocket);
  return {
    name: flags.name,
    engine: oneOf('--engine', flags.engine, ORIGIN_ENGINES),
    protocol: oneOf('--protocol', flags.protocol, ORIGIN_PROTOCOLS),
    listen: listen.value,
    keepAliveTimeout: duration(flags.keepAliveTimeout, '--keep-alive-timeout'),
    maxRequestsPerSocket: Number(flags.maxRequestsPerSocket),
    keepAliveHint: flags.keepAliveHint,
    keepAlive: flags.keepAlive,
    delay: duration(flags.delay, '--delay'),
    idleCloseBuffer: duration(flags.idleCloseBuffer, '--idle-close-buffer'),
    closeWindow: duration(flags.closeWindow, '--close-window'),
    faults: {
      dropOnReuse: flags.dropOnReuse === true,
      resetMidResponse: flags.resetMidResponse === true,
      silent: flags.silent === true,
      downFor: duration(flags.downFor, '--down-for'),
    },
  };
}

const time = (t: number): string => `${t.toFixed(1).padStart(9)} ms`;
const HEADER = `${'t'.padStart(12)}  remote port  conn  nth  method  id`;

/** What a fault did to the request it took, after `fault <name> on conn #N, request <id>:`. */
const FAULT_OUTCOME: Record<string, string> = {
  dropOnReuse: 'reused connection closed without a byte',
  closeWindow: 'arrived in the closing window, closed without a byte',
  resetMidResponse: 'reset after half the response',
  silent: 'read, never answered',
};

/** The idle close as the listening line tells it. */
function idleLine(o: Readonly<ResolvedOriginOptions>): string {
  if (o.protocol === 'h2c') {
    const idle =
      o.keepAliveTimeout === 0
        ? 'no idle timeout'
        : `idle timeout ${formatDuration(o.keepAliveTimeout)}: idle sessions get a GOAWAY after ${formatDuration(o.keepAliveTimeout + o.idleCloseBuffer)}`;
    return `h2c, ${idle}`;
  }
  if (o.keepAliveTimeout === 0) return 'no keep-alive idle timeout';
  const timeout = formatDuration(o.keepAliveTimeout);
  const closeAt = formatDuration(o.keepAliveTimeout + o.idleCloseBuffer);
  const buffer = o.idleCloseBuffer;
  const idle =
    buffer === NODE_IDLE_BUFFER_MS
      ? `keep-alive timeout ${timeout}: ${o.engine === 'fast' ? 'idle sockets close, as node closes them,' : 'node closes idle sockets'} after ${closeAt}`
      : `keep-alive timeout ${timeout}: idle sockets close after ${closeAt}, ${buffer === 0 ? 'at' : `${formatDuration(buffer)} past`} the advertised timeout`;
  return o.closeWindow === 0 ? idle : `${idle}; a ${formatDuration(o.closeWindow)} closing window before each idle close drops any request`;
}

/** The fault knobs switched on, by the names their events carry; empty when none. */
function faultList(o: Readonly<ResolvedOriginOptions>): string {
  const on = (['dropOnReuse', 'resetMidResponse', 'silent'] as const).filter((f) => o.faults[f]);
  const all = o.faults.downFor > 0 ? [...on, `down for ${formatDuration(o.faults.downFor)}`] : on;
  return all.length === 0 ? '' : `; faults: ${all.join(', ')}`;
}

function faultLine(e: OriginFaultEvent, o: Readonly<ResolvedOriginOptions>): string {
  switch (e.fault) {
    case 'closeWindow-open':
      return `${time(e.t)}  conn #${e.conn} idle: closing window open for ${formatDuration(o.closeWindow)}, a request on it now is dropped`;
    case 'down':
      return `${time(e.t)}  down: listener closed, connections refused for ${formatDuration(o.faults.downFor)}`;
    case 'up':
      return `${time(e.t)}  up: listening again on the same port`;
    default: {
      const outcome = FAULT_OUTCOME[e.fault];
      return `${time(e.t)}  fault ${e.fault} on conn #${e.conn}, request ${e.id ?? '-'}${outcome === undefined ? '' : `: ${outcome}`}`;
    }
  }
}

function textPrinter(
  ctx: CommandContext,
  options: Readonly<ResolvedOriginOptions>,
  counters: () => { requestsAnswered: number; faults: number },
): ServePrinter<OriginEvent> {
  // A line per request: coalesced per event-loop turn, one write(2) for many (ndjson.ts).
  const lines = lineWriter(ctx.stdout);
  const out = lines.line;
  return {
    listening({ host: address, port }) {
      const engine = options.engine === 'fast' ? 'fast engine; ' : '';
      out(`listening on ${formatEndpoint({ host: address, port })} (${engine}${idleLine(options)})${faultList(options)}`);
      out(HEADER);
      lines.flush();
    },
    event(e) {
      switch (e.event) {
        case 'request':
          out(
            `${time(e.t)}  ${String(e.remotePort ?? '?').padStart(11)}  ${String(e.conn).padStart(4)}  ` +
              `${String(e.nth).padStart(3)}  ${e.method.padEnd(6)}  ${e.id ?? '-'}`,
          );
          return;
        case 'conn-close':
          out(
            `${time(e.t)}  conn #${e.conn} (port ${e.remotePort ?? '?'}) closed after ${e.requests} ${e.requests === 1 ? 'request' : 'requests'}: ${e.reason}`,
          );
          return;
        case 'fault':
          out(faultLine(e, options));
          return;
        case 'conn-open':
          // Visible in the first request line of the connection; one line per request stays readable.
          return;
      }
    },
    stopped: (signal) => {
      const { requestsAnswered: n, faults: f } = counters();
      const faults = f === 0 ? '' : `, ${f} ${f === 1 ? 'fault' : 'faults'}`;
      out(`stopped (${signal}) after ${n} ${n === 1 ? 'request' : 'requests'}${faults}`);
      lines.flush();
    },
  };
}
