import { Command } from 'commander';
import { LabError, Recorder, formatEndpoint, parseEndpoint, parseEndpoints, type ProxyEvent } from '@keepalive-lab/core';
import { PROXY_KINDS, createProxy, isProxyKind, type L4ProxyOptions, type ProxyKind, type ProxyOptionsByKind } from '@keepalive-lab/proxies';
import type { CommandContext } from '../context.js';
import { addL7Options, l7OptionsFromFlags } from './proxy-l7-options.js';
import { jsonPrinter, serveUntilStopped, type ServePrinter } from '../serve.js';

/** The flags as commander parses them; a kind with its own options reads them from here too. */
export interface ProxyFlags {
  listen: string;
  target?: string;
  json?: boolean;
  [flag: string]: unknown;
}

/**
 * How one kind of proxy turns the command's flags into its options. Flags
 * shared by every kind (--listen, --target) are parsed once into `common`;
 * a kind with knobs of its own (l7: pool size, timeouts) declares them in
 * `addOptions` and reads them in `build`, in its own entry below.
 */
export interface ProxyKindFlags<K extends ProxyKind> {
  addOptions(cmd: Command): void;
  build(common: L4ProxyOptions, flags: ProxyFlags): ProxyOptionsByKind[K];
}

const l4Flags = { addOptions: () => undefined, build: (common: L4ProxyOptions) => common };

/** Both L7 engines take the same flags (one object, so they are added to the command once). */
const l7Flags = { addOptions: addL7Options, build: l7OptionsFromFlags };

const KIND_FLAGS: { [K in ProxyKind]: ProxyKindFlags<K> } = {
  'naive-l4': l4Flags,
  'pipe-l4': l4Flags,
  l7: l7Flags,
  'l7-fast': l7Flags,
};

const DEFAULT_LISTEN = '127.0.0.1:8081';

/**
 * `lab proxy <kind> --listen H:P --target H:P[,H:P...] [--json]`: runs one
 * proxy until SIGINT/SIGTERM, printing a line per connection event (or NDJSON).
 */
export function proxyCommand(ctx: CommandContext): Command {
  const cmd = new Command('proxy')
    .description('run a proxy between a client and one or more origins, printing its connection events')
    .argument('<kind>', `one of ${PROXY_KINDS.join(', ')}`)
    .option('--listen <host:port>', 'address to listen on', DEFAULT_LISTEN)
    .option('--target <host:port,...>', 'origin(s) to forward to, taken round-robin')
    .option('--json', 'print NDJSON events only')
;
  for (const flags of new Set(Object.values(KIND_FLAGS))) flags.addOptions(cmd);
  return cmd.action((kind: string, flags: ProxyFlags) => runProxy(ctx, kind, flags));
}

async function runProxy(ctx: CommandContext, kind: string, flags: ProxyFlags): Promise<void> {
  if (!isProxyKind(kind)) {
    throw new LabError('LAB_ERR_USAGE', `unknown proxy kind ${JSON.stringify(kind)}: expected one of ${PROXY_KINDS.join(', ')}`, {
      found: kind,
      known: [...PROXY_KINDS],
    });
  }
  if (flags.target === undefined) {
    throw new LabError('LAB_ERR_USAGE', '--target is required: where to forward, host:port[,host:port...]', { path: '--target', expected: 'host:port[,host:port...]' });
  }
  const listen = parseEndpoint(flags.listen, '--listen');
  if (!listen.ok) throw listen.error;
  const targets = parseEndpoints(flags.target, '--target');
  if (!targets.ok) throw targets.error;

  // keep: false — a proxy may run for hours; events are printed, not stored.
  const recorder = new Recorder({ keep: false });
  const common: L4ProxyOptions = { listen: listen.value, targets: targets.value, recorder, name: kind };
  const proxy = createProxy(kind, buildOptions(kind, common, flags));

  const print = flags.json ? jsonPrinter<ProxyEvent>(ctx) : textPrinter(ctx, targets.value.map(formatEndpoint));
  await serveUntilStopped(ctx, proxy, recorder, (e): e is ProxyEvent => e.source === 'proxy', print);
}

/** Kept apart so TypeScript checks each kind's builder against its own options. */
function buildOptions<K extends ProxyKind>(kind: K, common: L4ProxyOptions, flags: ProxyFlags): ProxyOptionsByKind[K] {
  const kindFlags: ProxyKindFlags<K> = KIND_FLAGS[kind];
  return kindFlags.build(common, flags);
}

function textPrinter(ctx: CommandContext, targets: string[]): ServePrinter<ProxyEvent> {
  const line = (t: number, text: string) => ctx.stdout.write(`${t.toFixed(1).padStart(9)} ms  ${text}\n`);
  return {
    listening: ({ host: address, port }) => ctx.stdout.write(`listening on ${formatEndpoint({ host: address, port })}, forwarding to ${targets.join(', ')}\n`),
    event: (e) => line(e.t, describeEvent(e)),
    stopped: (signal) => ctx.stdout.write(`stopped (${signal})\n`),
  };
}

export function describeEvent(e: ProxyEvent): string {
  switch (e.event) {
    case 'client-open':
      return `client #${e.clientConn} accepted from port ${e.clientPort ?? '?'}`;
    case 'client-close':
      return `client #${e.clientConn} (port ${e.clientPort ?? '?'}) closed: ${e.reason}`;
    case 'upstream-open':
      return `upstream #${e.upstreamConn} opened from local port ${e.localPort ?? '?'} to ${e.target}${e.clientConn === null ? '' : ` for client #${e.clientConn}`}`;
    case 'upstream-close':
      return `upstream #${e.upstreamConn} (local port ${e.localPort ?? 'none: never connected'}) to ${e.target} closed: ${e.reason}`;
    case 'forward':
      return `request ${e.id ?? '?'} from client #${e.clientConn} on upstream #${e.upstreamConn} (${e.reused ? 'reused' : 'new'}, attempt ${e.attempt})`;
    case 'reject':
      return `request ${e.id ?? '?'} from client #${e.clientConn} answered ${e.status} by the proxy: ${e.why}`;
  }
}
