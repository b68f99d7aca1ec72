import { Command } from 'commander';
import { Chalk } from 'chalk';
import { LabError, Recorder, parseDuration } from '@keepalive-lab/core';
import { progressLine } from '../progress.js';
import { runLoad, type LoadEngine } from '@keepalive-lab/client';
import { computeMetrics, joinRecords } from '@keepalive-lab/scenarios';
import { errorList, painter, renderLoadSummary, renderPortTable } from '@keepalive-lab/report';
import type { CommandContext } from '../context.js';
import type { SetExitCode } from './index.js';

interface LoadFlags {
  requests: string;
  concurrency: string;
  /** Undefined when neither --keep-alive nor --no-keep-alive was given (commander's rule for paired flags). */
  keepAlive?: boolean;
  maxSockets: string;
  method: string;
  engine: string;
  timeout: string;
  json?: boolean;
}

/** Rows of the port table beyond this are summed up in one line (a no-keep-alive run has one port per request). */
/** Completions further apart than this count as separate waves (the `batches` metric). */
const BATCH_GAP_MS = 250;

const usage = (flag: string, expected: string, found: string): LabError =>
  new LabError('LAB_ERR_USAGE', `${flag}: expected ${expected}, found ${JSON.stringify(found)}`, {
    path: flag,
    expected,
    found: JSON.stringify(found),
  });

function intFlag(flag: string, text: string, min: number): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < min) throw usage(flag, `an integer ≥ ${min}`, text);
  return Number(text);
}

function urlFlag(text: string): string {
  // `127.0.0.1:8080/path` is accepted as shorthand for http://.
  const withScheme = /^[a-z]+:\/\//i.test(text) ? text : `http://${text}`;
  const expected = 'an http:// URL such as http://127.0.0.1:8080/';
  let u: URL;
  try {
    u = new URL(withScheme);
  } catch (err) {
    throw new LabError(
      'LAB_ERR_USAGE',
      `<url>: expected ${expected}, found ${JSON.stringify(text)}`,
      { path: '<url>', expected, found: text },
      { cause: err },
    );
  }
  if (u.protocol !== 'http:') throw usage('<url>', expected, text);
  return u.href;
}

export function loadCommand(ctx: CommandContext, setExitCode: SetExitCode): Command {
  return new Command('load')
    .description('fire requests at a URL and print which client ports the origin saw (the port-reuse table)')
    .argument('<url>', 'http://host:port/path')
    .option('-n, --requests <n>', 'total requests', '100')
    .option('-c, --concurrency <n>', 'requests in flight at once', '100')
    .option('--keep-alive', 'reuse sockets (default)')
    .option('--no-keep-alive', 'agent:false style: Connection: close, a new socket per request')
    .option('--max-sockets <n>', 'socket pool size, 0 = unlimited (old Node defaulted to 5)', '5')
    .option('--method <method>', 'HTTP method; POST and PUT send a small body', 'GET')
    .option('--engine <engine>', 'agent (node:http, as the blog) or fast (raw sockets, for speed)', 'agent')
    .option('--timeout <duration>', 'per request, once it has a socket', '60s')
    .option('--json', 'print one document { requests, metrics } and nothing else')
    .action(async (url: string, flags: LoadFlags) => {
      const target = urlFlag(url);
      const requests = intFlag('-n/--requests', flags.requests, 1);
      const concurrency = intFlag('-c/--concurrency', flags.concurrency, 1);
      const maxSockets = intFlag('--max-sockets', flags.maxSockets, 0);
      if (!/^[A-Za-z]+$/.test(flags.method)) throw usage('--method', 'an HTTP method such as GET or POST', flags.method);
      if (flags.engine !== 'agent' && flags.engine !== 'fast') throw usage('--engine', 'agent or fast', flags.engine);
      const timeout = parseDuration(flags.timeout, '--timeout');
      if (!timeout.ok) throw timeout.error;
      if (timeout.value < 1) throw usage('--timeout', 'a duration of at least 1ms', flags.timeout);

      // Ctrl-C ends the run early; what was sent is still reported.
      const stop = new AbortController();
      void ctx.stopSignal.then(() => stop.abort());
      // A progress line on a TTY only, at most every 200 ms: never on the hot path of every response.
      const progress = ctx.stdout.isTTY && ctx.stderr.isTTY && !flags.json ? progressLine(ctx.stderr) : null;
      const recorder = new Recorder();
      let done = 0;
      const ticker = progress
        ? setInterval(
            () =>
              progress.update({ variant: null, done, total: requests, elapsed: recorder.now(), waitingFor: `responses from ${target}` }),
            200,
          ).unref()
        : null;
      const { records, durationMs } = await runLoad({
        recorder,
        onRecord: (_rec, n) => {
          done = n;
        },
        url: target,
        requests,
        concurrency,
        keepAlive: flags.keepAlive ?? true,
        maxSockets,
        method: flags.method.toUpperCase(),
        engine: flags.engine as LoadEngine,
        timeout: timeout.value,
        signal: stop.signal,
      }).finally(() => {
        if (ticker) clearInterval(ticker);
        progress?.clear();
      });
      // No events: the client alone knows its records and the origin's stamps in them.
      const joined = joinRecords(records, []);
      const metrics = computeMetrics({ requests: joined, events: [], durationMs, batchGap: BATCH_GAP_MS });
      if (flags.json) ctx.stdout.write(`${JSON.stringify({ requests: joined, metrics })}\n`);
      else {
        const p = painter({ color: new Chalk().level > 0, width: ctx.stdout.columns ?? 100 });
        ctx.stdout.write(`${renderPortTable(joined, p)}\n${renderLoadSummary(metrics, p)}`);
      }
      if (records.length > 0 && records.every((r) => r.status === null)) {
        // Nothing answered: the run itself did not happen (nothing listening, wrong port).
        setExitCode(1);
        throw new LabError('LAB_ERR_RUN_FAILED', `no request got a response (${errorList(metrics)}): is a server listening at ${target}?`);
      }
      // Every answer a failure (a proxy answering 502 for an origin that is not there): the run measured nothing that worked.
      if (records.length > 0 && records.every((r) => r.status === null || r.status >= 400)) {
        ctx.stderr.write(`lab: every request failed (${errorList(metrics)}): exit 1\n`);
        setExitCode(1);
      }
    });
}
