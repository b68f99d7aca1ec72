import { execFile } from 'node:child_process';
import { findBinary } from '@keepalive-lab/proxies';
import { CONNECTIONS, type Measurement } from './measurement.js';

/** wrk's binary: $LAB_WRK if set (anything not executable there, e.g. `none`, means absent), else PATH. */
export const WRK = findBinary('wrk', 'LAB_WRK');
export const WRK_INSTALL_HINT = 'apt-get update && apt-get install -y wrk';

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

/** `1.23ms` → 1.23 (ms). */
function latencyMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text);
  if (m === null) throw new Error(`wrk: unreadable latency ${JSON.stringify(text)}`);
  return Number(m[1]) * (UNIT_MS[m[2] ?? 'ms'] ?? 1);
}

/**
 * One wrk run's figures from its `--latency` report: requests and seconds
 * from "N requests in 1.00s", p99 from the latency distribution, failures
 * from "Non-2xx or 3xx responses" and "Socket errors" (absent when none).
 */
export function parseWrk(label: string, out: string): Measurement {
  const done = /(\d+) requests in ([\d.]+)(us|ms|s|m),/.exec(out);
  const p99 = /^\s*99%\s+(\S+)/m.exec(out);
  if (done === null || p99 === null) throw new Error(`wrk: unreadable report:\n${out}`);
  const requests = Number(done[1]);
  const seconds = (Number(done[2]) * (UNIT_MS[done[3] ?? 's'] ?? 1000)) / 1000;
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = sock === null ? 0 : sock.slice(1).reduce((s, n) => s + Number(n), 0);
  const ok = requests - non2xx;
  return { label, rps: seconds === 0 ? 0 : ok / seconds, p99: latencyMs(p99[1] ?? ''), ok, failed: non2xx + socketErrors };
}

/**
 * wrk, 1 thread, CONNECTIONS keep-alive connections, plain GETs (no Lua
 * script), for `ms` rounded to whole seconds (wrk's unit). A process of its
 * own: C, one epoll loop, far cheaper per request than any Node client.
 */
export function wrkFor(label: string, url: string, ms: number): Promise<Measurement> {
  const binary = WRK;
  if (binary === null) return Promise.reject(new Error(`wrk is not installed: ${WRK_INSTALL_HINT}`));
  const seconds = Math.max(1, Math.round(ms / 1000));
  const args = ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', url];
  return new Promise((resolve, reject) => {
    // Bounded: wrk stops itself after `seconds`; the timeout only catches a hung one.
    execFile(binary, args, { timeout: (seconds + 10) * 1000 }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`wrk ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(parseWrk(label, stdout));
    });
  });
}
