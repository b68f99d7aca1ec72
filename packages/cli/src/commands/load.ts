import { Command } from 'commander';
import { Chalk, type ChalkInstance } from 'chalk';
import { LabError, Recorder } from '@keepalive-lab/core';
import { loadMetrics, runLoad } from '@keepalive-lab/client';
import { computeMetrics, joinRecords, type ExpectationResult } from '@keepalive-lab/scenarios';
import { WIDE_HELP, errorList, painter, renderChecks, renderLoadSummary, renderPortTable, terminalWidth } from '@keepalive-lab/report';
import { progressLine } from '../progress.js';
import type { CommandContext } from '../context.js';
import type { SetExitCode } from './index.js';
import { checkThresholds, parseExpect, thresholdLine } from './load-expect.js';
import { loadPlan, poolWarning, type LoadFlags, type LoadPlan } from './load-flags.js';

/** Completions further apart than this count as separate waves (the `batches` metric). */
const BATCH_GAP_MS = 250;

const collect = (v: string, prev: string[]) => [...prev, v];

/*
 * Semantics of the flags (docs/reference.md documents them; the client's LoadOptions says the same):
 * - -d/--duration: no request is issued after it; those in flight then still get their answer (each
 *   bounded by --timeout), since cutting them off would drop the slowest answers from the latencies.
 *   With -n: stop at whichever comes first. -d alone: as many requests as fit.
 * - -R/--rate: open model. Request n is due at (n − 1) / R s after the start, whenever earlier ones answer;
 *   one that comes due while all -c slots are busy waits for one and is counted late, with its lag
 *   (rate.late, rate.lagMax): the offered load is never slowed silently.
 * - -H "Name: value", repeatable (a name twice sends two lines). Content-Length, Transfer-Encoding,
 *   Connection, Expect, Upgrade and x-lab-request-id are the client's own and refused; Host replaces the URL's.
 * - --body / --body-file: those bytes exactly, with a Content-Length, with any --method (GET included;
 *   a body does not switch the method).
 * - --expect metric<op>value: the scenario language's checks (= >= <=); any failing one → exit 1. With
 *   --expect the thresholds alone set the exit code.
 */
export function loadCommand(ctx: CommandContext, setExitCode: SetExitCode): Command {
  return new Command('load')
    .description('fire requests at a URL and print which client ports the origin saw (the port-reuse table)')
    .argument('<url>', 'http://host:port/path')
    .option('-n, --requests <n>', 'total requests (with -d and no -n: as many as fit)', '100')
    .option('-c, --concurrency <n>', 'requests in flight at once', '100')
    .option('-d, --duration <duration>', 'stop issuing after this long (in-flight requests finish); with -n, whichever comes first')
    .option('-R, --rate <req/s>', 'requests per second, open model: due on schedule however slow the answers (late ones counted)')
    .option('-H, --header <"Name: value">', 'a request header (repeatable)', collect, [])
    .option('--body <text>', 'request body, sent exactly, with any --method')
    .option('--body-file <path>', 'request body read from a file, sent exactly')
    .option('--keep-alive', 'reuse sockets (default)')
    .option('--no-keep-alive', 'agent:false style: Connection: close, a new socket per request')
    .option('--max-sockets <n>', 'socket pool size, 0 = unlimited (old Node defaulted to 5)', '5')
    .option('--method <method>', 'HTTP method; POST and PUT send a small body', 'GET')
    .option('--engine <engine>', 'agent (node:http, as the blog) or fast (raw sockets, for speed)', 'agent')
    .option('--timeout <duration>', 'per request, once it has a socket', '60s')
    .option(
      '--expect <metric<op>value>',
      'a threshold, e.g. requests.failed=0 or latency.p99<=50ms (repeatable); a failed one exits 1',
      collect,
      [],
    )
    .option('--json', 'print one document { target, args, requests, metrics, expectations } and nothing else')
    .option('--quiet', 'print only the thresholds verdict (nothing without --expect), and errors')
    .option('--wide', WIDE_HELP)
    .action(async (url: string, flags: LoadFlags, cmd: Command) => {
      const plan = await loadPlan(url, flags, (name) => cmd.getOptionValueSource(name) === 'cli', ctx.cwd);
      const expect = flags.expect.map(parseExpect);
      const warning = poolWarning(plan);
      if (warning !== null && !flags.quiet) ctx.stderr.write(warning);

      const result = await runWithProgress(ctx, plan, Boolean(flags.json || flags.quiet));
      // No events: the client alone knows its records and the origin's stamps in them.
      const joined = joinRecords(result.records, []);
      const metrics = {
        ...computeMetrics({ requests: joined, events: [], durationMs: result.durationMs, batchGap: BATCH_GAP_MS }),
        ...loadMetrics(result, plan.options.rate ?? null),
      };
      const checks = expect.length > 0 ? checkThresholds(expect, metrics) : null;
      const failed = checks?.filter((c) => !c.pass) ?? [];
      const c = new Chalk();
      if (flags.json) {
        const doc = { target: plan.target, args: plan.args, requests: joined, metrics, ...(checks ? { expectations: checks } : {}) };
        ctx.stdout.write(`${JSON.stringify(doc)}\n`);
        for (const f of failed) ctx.stderr.write(`lab: threshold failed: ${thresholdLine(f)}\n`);
      } else if (flags.quiet) {
        if (checks) ctx.stdout.write(`${[...failed.map(thresholdLine), verdict(checks, c)].join('\n')}\n`);
      } else {
        const p = painter({ color: c.level > 0, width: terminalWidth(ctx.stdout, flags.wide) });
        ctx.stdout.write(`${renderPortTable(joined, p)}\n${renderLoadSummary(metrics, p)}`);
        if (checks) ctx.stdout.write(`${renderChecks(checks, p)}\n${verdict(checks, c)}\n`);
      }
      if (checks) {
        // The user said what success is: the thresholds alone decide.
        if (failed.length > 0) setExitCode(1);
        return;
      }
      const records = result.records;
      if (records.length > 0 && records.every((r) => r.status === null)) {
        // Nothing answered: the run itself did not happen (nothing listening, wrong port).
        setExitCode(1);
        throw new LabError(
          'LAB_ERR_RUN_FAILED',
          `no request got a response (${errorList(metrics)}): is a server listening at ${plan.target}?`,
        );
      }
      // Every answer a failure (a proxy answering 502 for an origin that is not there): the run measured nothing that worked.
      if (records.length > 0 && records.every((r) => r.status === null || r.status >= 400)) {
        ctx.stderr.write(`lab: every request failed (${errorList(metrics)}): exit 1\n`);
        setExitCode(1);
      }
    });
}

function verdict(checks: ExpectationResult[], c: ChalkInstance): string {
  const failed = checks.filter((x) => !x.pass).length;
  return failed === 0
    ? c.green(`✓ thresholds: ${checks.length} of ${checks.length} passed`)
    : c.red(`✗ thresholds: ${failed} of ${checks.length} failed: exit 1`);
}

/** The run, with a progress line on a TTY (never with --json or --quiet), redrawn at most every 200 ms: never per response. */
async function runWithProgress(ctx: CommandContext, plan: LoadPlan, silent: boolean) {
  // Ctrl-C ends the run early; what was sent is still reported.
  const stop = new AbortController();
  void ctx.stopSignal.then(() => stop.abort());
  const progress = ctx.stdout.isTTY && ctx.stderr.isTTY && !silent ? progressLine(ctx.stderr) : null;
  const recorder = new Recorder();
  let done = 0;
  const { requests, duration } = plan.options;
  // Run for a duration alone: the total is the pace so far, projected to its end.
  const total = (): number => requests ?? Math.max(done, Math.round((done * (duration ?? 0)) / Math.max(1, recorder.now())));
  const waitingFor = `responses from ${plan.target}`;
  const ticker = progress
    ? setInterval(() => progress.follow({ type: 'tick', variant: null, done, total: total(), t: recorder.now(), waitingFor }), 200).unref()
    : null;
  return runLoad({
    ...plan.options,
    recorder,
    onRecord: (_rec, n) => {
      done = n;
    },
    signal: stop.signal,
  }).finally(() => {
    if (ticker) clearInterval(ticker);
    progress?.clear();
  });
}
