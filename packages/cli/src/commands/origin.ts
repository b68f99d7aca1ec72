import { Command } from 'commander';
import { LabError, Recorder, formatDuration, formatEndpoint, parseDuration, parseEndpoint, type OriginEvent } from '@keepalive-lab/core';
import { ORIGIN_DEFAULTS, createOrigin, type OriginOptions } from '@keepalive-lab/origin';
import type { CommandContext } from '../context.js';
import { jsonPrinter, serveUntilStopped, type ServePrinter } from '../serve.js';

/** The flags as commander parses them (strings until validated here). */
interface OriginFlags {
  listen: string;
  name: string;
  keepAliveTimeout: string;
  maxRequestsPerSocket: string;
  keepAliveHint: boolean;
  keepAlive: boolean;
  delay: string;
  json?: boolean;
}

/** The command listens on a fixed port by default; the library's default is any free port. */
const DEFAULT_LISTEN = '127.0.0.1:8080';
/** Node 20 closes an idle keep-alive socket this long after its advertised timeout. */
const NODE_IDLE_BUFFER_MS = 1000;

/**
 * `lab origin [--listen H:P] [--keep-alive-timeout 5s] ...`: runs the
 * port-tracking origin until SIGINT/SIGTERM, printing a line per request
 * (remote port, connection, nth) and per closed connection (or NDJSON).
 */
export function originCommand(ctx: CommandContext): Command {
  return (
    new Command('origin')
      .description('run the port-tracking origin: prints remote port, connection and nth for every request')
      .option('--listen <host:port>', 'address to listen on', DEFAULT_LISTEN)
      .option('--name <name>', 'name stamped in x-lab-origin and in events', ORIGIN_DEFAULTS.name)
      .option('--keep-alive-timeout <duration>', "node's server.keepAliveTimeout (idle sockets close 1s after it)", formatDuration(ORIGIN_DEFAULTS.keepAliveTimeout))
      .option('--max-requests-per-socket <n>', 'close a connection after n requests, 0 = unlimited', String(ORIGIN_DEFAULTS.maxRequestsPerSocket))
      .option('--no-keep-alive-hint', 'omit the `Keep-Alive: timeout=N` response header (the idle close stays)')
      .option('--no-keep-alive', 'answer every request with `Connection: close`')
      .option('--delay <duration>', 'wait this long before answering each request', '0ms')
      .option('--json', 'print NDJSON events only')
      .action((flags: OriginFlags) => runOrigin(ctx, flags))
  );
}

async function runOrigin(ctx: CommandContext, flags: OriginFlags): Promise<void> {
  // keep: false — an origin may run for hours; events are printed, not stored.
  const recorder = new Recorder({ keep: false });
  const origin = createOrigin({ ...parseFlags(flags), recorder });
  const print = flags.json ? jsonPrinter<OriginEvent>(ctx) : textPrinter(ctx, origin.options.keepAliveTimeout, () => origin.counters.requestsAnswered);
  await serveUntilStopped(ctx, origin, recorder, (e): e is OriginEvent => e.source === 'origin', print);
}

function parseFlags(flags: OriginFlags): OriginOptions {
  const listen = parseEndpoint(flags.listen, '--listen');
  if (!listen.ok) throw listen.error;
  const keepAliveTimeout = parseDuration(flags.keepAliveTimeout, '--keep-alive-timeout');
  if (!keepAliveTimeout.ok) throw keepAliveTimeout.error;
  const delay = parseDuration(flags.delay, '--delay');
  if (!delay.ok) throw delay.error;
  if (!/^\d+$/.test(flags.maxRequestsPerSocket)) {
    throw new LabError('LAB_ERR_USAGE', `--max-requests-per-socket: expected a whole number >= 0, found ${JSON.stringify(flags.maxRequestsPerSocket)}`, {
      path: '--max-requests-per-socket',
      expected: 'a whole number >= 0',
      found: JSON.stringify(flags.maxRequestsPerSocket),
    });
  }
  return {
    name: flags.name,
    listen: listen.value,
    keepAliveTimeout: keepAliveTimeout.value,
    maxRequestsPerSocket: Number(flags.maxRequestsPerSocket),
    keepAliveHint: flags.keepAliveHint,
    keepAlive: flags.keepAlive,
    delay: delay.value,
  };
}

const time = (t: number): string => `${t.toFixed(1).padStart(9)} ms`;
const HEADER = `${'t'.padStart(12)}  remote port  conn  nth  method  id`;

function textPrinter(ctx: CommandContext, keepAliveTimeout: number, answered: () => number): ServePrinter<OriginEvent> {
  const out = (text: string) => ctx.stdout.write(`${text}\n`);
  return {
    listening({ host: address, port }) {
      const idle =
        keepAliveTimeout === 0
          ? 'no keep-alive idle timeout'
          : `keep-alive timeout ${formatDuration(keepAliveTimeout)}: node closes idle sockets after ${formatDuration(keepAliveTimeout + NODE_IDLE_BUFFER_MS)}`;
      out(`listening on ${formatEndpoint({ host: address, port })} (${idle})`);
      out(HEADER);
    },
    event(e) {
      switch (e.event) {
        case 'request':
          out(`${time(e.t)}  ${String(e.remotePort ?? '?').padStart(11)}  ${String(e.conn).padStart(4)}  ${String(e.nth).padStart(3)}  ${e.method.padEnd(6)}  ${e.id ?? '-'}`);
          return;
        case 'conn-close':
          out(`${time(e.t)}  conn #${e.conn} (port ${e.remotePort ?? '?'}) closed after ${e.requests} ${e.requests === 1 ? 'request' : 'requests'}: ${e.reason}`);
          return;
        case 'fault':
          out(`${time(e.t)}  fault ${e.fault} on conn #${e.conn}, request ${e.id ?? '-'}`);
          return;
        case 'conn-open':
          // Visible in the first request line of the connection; one line per request stays readable.
          return;
      }
    },
    stopped: (signal) => {
      const n = answered();
      out(`stopped (${signal}) after ${n} ${n === 1 ? 'request' : 'requests'}`);
    },
  };
}
