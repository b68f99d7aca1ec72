import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { LabError, parseDuration } from '@keepalive-lab/core';
import { parseHeaderLine, type HeaderValues, type LoadEngine, type LoadOptions } from '@keepalive-lab/client';
import { usageError } from '../flag-errors.js';

/** `lab load`'s flags as commander hands them over (strings; repeatable ones as lists). */
export interface LoadFlags {
  requests: string;
  concurrency: string;
  duration?: string;
  rate?: string;
  /** Undefined when neither --keep-alive nor --no-keep-alive was given (commander's rule for paired flags). */
  keepAlive?: boolean;
  maxSockets: string;
  method: string;
  engine: string;
  timeout: string;
  header: string[];
  body?: string;
  bodyFile?: string;
  expect: string[];
  json?: boolean;
  quiet?: boolean;
  /** Tables at full width, whatever the terminal or COLUMNS say. */
  wide?: boolean;
}

/** What the run gets, and what `--json` records of it (`args`: the flags as understood, the body as its length). */
export interface LoadPlan {
  target: string;
  options: Omit<LoadOptions, 'recorder' | 'onRecord' | 'signal'>;
  args: Record<string, unknown>;
  /** -c as given on the command line, or null when it is the default. */
  concurrencyGiven: number | null;
}

function intFlag(flag: string, text: string, min: number): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < min) throw usageError(flag, `an integer ≥ ${min}`, text);
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
  if (u.protocol !== 'http:') throw usageError('<url>', expected, text);
  return u.href;
}

function durationFlag(flag: string, text: string): number {
  const d = parseDuration(text, flag);
  if (!d.ok) throw d.error;
  if (d.value < 1) throw usageError(flag, 'a duration of at least 1ms', text);
  return d.value;
}

/** -H lines, each checked by the client's rule, grouped by name (a name given twice sends two lines). */
function headerFlags(lines: string[]): HeaderValues {
  const flag = '-H/--header';
  const headers: Record<string, string[]> = {};
  for (const line of lines) {
    const [name, value] = parseHeaderLine(line, flag);
    headers[name] = [...(headers[name] ?? []), value];
  }
  const hosts = lines.filter((l) => /^\s*host\s*:/i.test(l));
  if (hosts.length > 1) throw usageError(flag, 'one Host header (two make a request every server must refuse)', hosts.join(' + '));
  return headers;
}

async function bodyFlags(flags: LoadFlags, cwd: string): Promise<Buffer | undefined> {
  if (flags.body !== undefined && flags.bodyFile !== undefined) {
    throw new LabError('LAB_ERR_USAGE', '--body and --body-file: give one of them, not both', {
      path: '--body, --body-file',
      expected: '--body or --body-file, not both',
    });
  }
  if (flags.body !== undefined) return Buffer.from(flags.body);
  if (flags.bodyFile === undefined) return undefined;
  const file = resolve(cwd, flags.bodyFile);
  return readFile(file).catch((err: NodeJS.ErrnoException) => {
    throw new LabError('LAB_ERR_USAGE', `--body-file: cannot read ${file} (${err.code ?? err.message})`, {
      path: '--body-file',
      expected: 'a readable file',
      found: JSON.stringify(flags.bodyFile),
    });
  });
}

/**
 * Every flag checked up front, each refusal naming its flag (exit 2), before anything is sent.
 * `given(name)`: whether the user typed that option (commander's value source), so defaults can yield.
 */
export async function loadPlan(url: string, flags: LoadFlags, given: (option: string) => boolean, cwd: string): Promise<LoadPlan> {
  const target = urlFlag(url);
  const duration = flags.duration === undefined ? undefined : durationFlag('-d/--duration', flags.duration);
  // -d alone runs for its time; -n with -d stops at whichever comes first.
  const requests = duration !== undefined && !given('requests') ? undefined : intFlag('-n/--requests', flags.requests, 1);
  const concurrency = intFlag('-c/--concurrency', flags.concurrency, 1);
  const maxSockets = intFlag('--max-sockets', flags.maxSockets, 0);
  let rate: number | undefined;
  if (flags.rate !== undefined) {
    if (!/^\d+(\.\d+)?$/.test(flags.rate.trim()) || Number(flags.rate) <= 0)
      throw usageError('-R/--rate', 'requests per second, a number > 0', flags.rate);
    rate = Number(flags.rate);
  }
  if (!/^[A-Za-z]+$/.test(flags.method)) throw usageError('--method', 'an HTTP method such as GET or POST', flags.method);
  if (flags.engine !== 'agent' && flags.engine !== 'fast') throw usageError('--engine', 'agent or fast', flags.engine);
  const timeout = durationFlag('--timeout', flags.timeout);
  const headers = headerFlags(flags.header);
  const body = await bodyFlags(flags, cwd);
  const options: LoadPlan['options'] = {
    url: target,
    ...(requests !== undefined ? { requests } : {}),
    ...(duration !== undefined ? { duration } : {}),
    ...(rate !== undefined ? { rate } : {}),
    concurrency,
    keepAlive: flags.keepAlive ?? true,
    maxSockets,
    method: flags.method.toUpperCase(),
    headers,
    ...(body !== undefined ? { body } : {}),
    engine: flags.engine as LoadEngine,
    timeout,
  };
  const args = {
    requests: requests ?? null,
    duration: duration ?? null,
    rate: rate ?? null,
    concurrency,
    maxSockets,
    keepAlive: options.keepAlive,
    method: options.method,
    engine: options.engine,
    timeout,
    headers: flags.header,
    bodyBytes: body?.length ?? null,
    expect: flags.expect,
  };
  return { target, options, args, concurrencyGiven: given('concurrency') ? concurrency : null };
}

/**
 * -c asks for more requests in flight than the pool has sockets: the rest wait in the queue, and the
 * origin sees only --max-sockets connections. Said when -c was typed (the defaults, 100 through a pool
 * of 5, are the blog's experiment on purpose).
 */
export function poolWarning(plan: LoadPlan): string | null {
  const c = plan.concurrencyGiven;
  const pool = plan.options.maxSockets;
  if (c === null || pool === 0) return null;
  const inFlight = Math.min(c, plan.options.requests ?? Infinity);
  if (inFlight <= pool) return null;
  return (
    `lab: -c ${c} asks for ${inFlight} requests in flight, but --max-sockets ${pool} caps the connections at ${pool}: ` +
    `the other ${inFlight - pool} wait for a free socket (--max-sockets 0 = unlimited)\n`
  );
}
