import { Command } from 'commander';
import { LabError, Recorder, formatEndpoint, parseEndpoint, parseEndpoints, type ProxyEvent } from '@keepalive-lab/core';
import {
  PROXY_COMPONENTS,
  createProxy,
  findProxyComponent,
  renderPeerConfig,
  type ProxyCommon,
  type ProxyComponent,
  type RealPeerDef,
} from '@keepalive-lab/proxies';
import type { CommandContext } from '../context.js';
import { addL7Options, l7OptionsFromFlags, L7_FLAGS } from './proxy-l7-options.js';
import { addKnobFlags, kindFlags, knobsFromFlags } from './proxy-knob-flags.js';
import { jsonPrinter, serveUntilStopped, type ServePrinter } from '../serve.js';
import { lineWriter } from '../ndjson.js';

/** The flags as commander parses them; a kind with its own options reads them from here too. */
export interface ProxyFlags {
  listen: string;
  target?: string;
  json?: boolean;
  printConfig?: boolean;
  [flag: string]: unknown;
}

/** Every kind the lab can start (not `external`: that one the user runs). */
const STARTABLE = PROXY_COMPONENTS.filter((c) => c.startable);
/** The lab's L7 engines take l7's own flags (proxy-l7-options.ts); every other kind's flags come from its knobs. */
const usesL7Flags = (c: ProxyComponent): boolean => c.source === 'lab' && c.layer === 'l7';
const COMMON_FLAGS = ['--listen', '--target', '--json', '--print-config'];

const DEFAULT_LISTEN = '127.0.0.1:8081';

/**
 * `lab proxy <kind> --listen H:P --target H:P[,H:P...] [--json]`: runs one
 * proxy of any startable kind until SIGINT/SIGTERM, printing a line per
 * connection event (or NDJSON). A real peer writes no lab events: it prints
 * its listening line and its stop, and `--print-config` shows what it runs.
 */
export function proxyCommand(ctx: CommandContext): Command {
  const cmd = new Command('proxy')
    .description('run a proxy between a client and one or more origins, printing its connection events')
    .argument('<kind>', `one of ${STARTABLE.map((c) => c.kind).join(', ')}`)
    .option('--listen <host:port>', 'address to listen on', DEFAULT_LISTEN)
    .option('--target <host:port,...>', 'origin(s) to forward to, taken round-robin')
    .option('--json', 'print NDJSON events only')
    .option('--print-config', 'print the config a real peer would run with, and exit');
  addL7Options(cmd);
  addKnobFlags(
    cmd,
    STARTABLE.filter((c) => !usesL7Flags(c)),
    new Set(L7_FLAGS),
  );
  return cmd.action((kind: string, flags: ProxyFlags) => runProxy(ctx, cmd, kind, flags));
}

async function runProxy(ctx: CommandContext, cmd: Command, kind: string, flags: ProxyFlags): Promise<void> {
  const c = findProxyComponent(kind);
  if (c === undefined || !c.startable) {
    const known = STARTABLE.map((k) => k.kind);
    const why = c === undefined ? 'unknown proxy kind' : 'the lab does not start proxy kind';
    throw new LabError('LAB_ERR_USAGE', `${why} ${JSON.stringify(kind)}: expected one of ${known.join(', ')}`, { found: kind, known });
  }
  refuseOtherKindsFlags(cmd, c);
  if (flags.target === undefined) {
    throw new LabError('LAB_ERR_USAGE', '--target is required: where to forward, host:port[,host:port...]', {
      path: '--target',
      expected: 'host:port[,host:port...]',
    });
  }
  const listen = parseEndpoint(flags.listen, '--listen');
  if (!listen.ok) throw listen.error;
  const targets = parseEndpoints(flags.target, '--target');
  if (!targets.ok) throw targets.error;

  // keep: false — a proxy may run for hours; events are printed, not stored.
  const recorder = new Recorder({ keep: false });
  const common: ProxyCommon = { listen: listen.value, targets: targets.value, recorder, name: kind };
  // Only what the command line gave, for either kind of flag: a `--no-x` flag's default (true) is nobody's knob value.
  const given = Object.fromEntries(Object.entries(flags).filter(([k]) => cmd.getOptionValueSource(k) === 'cli'));
  const knobs = usesL7Flags(c) ? stripCommon(l7OptionsFromFlags(common, given)) : knobsFromFlags(c, given);
  if (flags.printConfig) {
    await printConfig(ctx, c, knobs, common);
    return;
  }
  const proxy = await createProxy(kind, knobs, common);

  const print = flags.json ? jsonPrinter<ProxyEvent>(ctx) : textPrinter(ctx, targets.value.map(formatEndpoint));
  await serveUntilStopped(ctx, proxy, recorder, (e): e is ProxyEvent => e.source === 'proxy', print);
}

/** A flag given on the command line that this kind does not take is an error naming the kind's own flags. */
function refuseOtherKindsFlags(cmd: Command, c: ProxyComponent): void {
  const mine = new Set([...COMMON_FLAGS, ...(usesL7Flags(c) ? L7_FLAGS : kindFlags(c))]);
  for (const option of cmd.options) {
    const flag = option.long ?? '';
    if (mine.has(flag) || mine.has(flag.replace(/^--no-/, '--'))) continue;
    if (cmd.getOptionValueSource(option.attributeName()) !== 'cli') continue;
    const takes = [...mine].filter((f) => !COMMON_FLAGS.includes(f));
    throw new LabError(
      'LAB_ERR_USAGE',
      `${flag} is not a knob of proxy kind ${c.kind}; ${c.kind} takes ${takes.length === 0 ? 'no knobs besides --listen and --target' : takes.join(', ')}`,
      {
        path: flag,
        expected: takes.join(', '),
        found: flag,
      },
    );
  }
}

function stripCommon(options: object): Record<string, unknown> {
  const { listen: _l, targets: _t, recorder: _r, name: _n, ...knobs } = options as Record<string, unknown>;
  return knobs;
}

async function printConfig(ctx: CommandContext, c: ProxyComponent, knobs: Record<string, unknown>, common: ProxyCommon): Promise<void> {
  const def = (c as ProxyComponent & { def?: RealPeerDef }).def;
  if (def === undefined) {
    throw new LabError('LAB_ERR_USAGE', `--print-config: proxy kind ${c.kind} runs in the lab's own process and has no config file`, {
      path: '--print-config',
      found: c.kind,
    });
  }
  const listen = common.listen ?? { host: '127.0.0.1', port: 0 };
  const text = await renderPeerConfig(def, knobs, {
    dir: `/tmp/lab-${c.kind}-XXXXXX`,
    host: listen.host,
    port: listen.port,
    targets: common.targets,
  });
  ctx.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

function textPrinter(ctx: CommandContext, targets: string[]): ServePrinter<ProxyEvent> {
  // Several lines per request under load: coalesced per event-loop turn, one write(2) for many (ndjson.ts).
  const lines = lineWriter(ctx.stdout);
  return {
    listening: ({ host: address, port }) => {
      lines.line(`listening on ${formatEndpoint({ host: address, port })}, forwarding to ${targets.join(', ')}`);
      lines.flush();
    },
    event: (e) => lines.line(`${e.t.toFixed(1).padStart(9)} ms  ${describeEvent(e)}`),
    stopped: (signal) => {
      lines.line(`stopped (${signal})`);
      lines.flush();
    },
  };
}

export function describeEvent(e: ProxyEvent): string {
  switch (e.event) {
    case 'client-open':
      return `client #${e.clientConn} accepted from port ${e.clientPort ?? '?'}`;
    case 'client-close':
      return `client #${e.clientConn} (port ${e.clientPort ?? '?'}) closed: ${e.reason}`;
    case 'upstream-open': {
      const forClient = e.clientConn === null ? '' : ` for client #${e.clientConn}`;
      return `upstream #${e.upstreamConn} opened from local port ${e.localPort ?? '?'} to ${e.target}${forClient}`;
    }
    case 'upstream-close':
      return `upstream #${e.upstreamConn} (local port ${e.localPort ?? 'none: never connected'}) to ${e.target} closed: ${e.reason}`;
    case 'forward':
      return `request ${e.id ?? '?'} from client #${e.clientConn} on upstream #${e.upstreamConn} (${e.reused ? 'reused' : 'new'}, attempt ${e.attempt})`;
    case 'reject':
      return `request ${e.id ?? '?'} from client #${e.clientConn} answered ${e.status} by the proxy: ${e.why}`;
  }
}
