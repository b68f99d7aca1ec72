import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WireDelta, WireLane, WireSnapshot } from '@keepalive-lab/report';
import { namespaceSupport } from '../../scenarios/src/netns.js';
import { main } from '../src/main.js';
import { fakeContext } from './fake-context.js';
import { liveUrl, stoppedAfterEach, tcpHandles, withBrowserEnv } from './watch-support.js';

/**
 * A scenario with `network.namespace: true` runs in a child process; its stream comes back over
 * the child's stdout as it happens, so the live page and the progress line follow it as they
 * follow a run on the host (packages/scenarios/src/netns.ts).
 */
const ns = await namespaceSupport(); // asked once
const track = stoppedAfterEach();

const REQUESTS = 20;
let dir: string;
let file: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lab-watch-netns-'));
  file = join(dir, 'ns-watch.yaml');
  // One request at a time, 20 ms apart: ~400 ms of run, several of the page's messages (at most one per 100 ms).
  await writeFile(
    file,
    'name: ns-watch\ntitle: ns-watch\nnetwork: { namespace: true }\nproxy: { kind: l7 }\n' +
      `client: { requests: ${REQUESTS}, concurrency: 1, interval: 20ms }\n`,
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

type Message = { event: string; data: WireSnapshot | WireDelta | Record<string, never> };

/** Reads /events as a page would, until the run is done. */
function readUntilDone(url: string): Promise<Message[]> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}events`, (res) => {
      const messages: Message[] = [];
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        for (let end = buf.indexOf('\n\n'); end >= 0; end = buf.indexOf('\n\n')) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
          const m = { event, data: JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? '{}') } as Message;
          messages.push(m);
          if ('phase' in m.data && m.data.phase === 'done') {
            res.destroy();
            resolve(messages);
            return;
          }
        }
      });
      res.on('end', () => resolve(messages));
    });
    req.on('error', reject);
    req.end();
  });
}

describe.skipIf(!ns.ok)(`watching a namespaced run${ns.ok ? '' : ` (skipped: ${ns.why})`}`, () => {
  it('the page follows it as it runs: lanes with the ports of the result, counters that tick, the verdict', () =>
    withBrowserEnv(async () => {
      const f = fakeContext({ cwd: dir });
      const running = track(f, main(['node', 'lab', 'run', file, '--watch', '--open', '--json', '--no-save'], f.ctx));
      const reading = readUntilDone(await liveUrl(f));
      await expect.poll(() => f.err(), { timeout: 20_000 }).toContain('keeps its last state until Ctrl-C'); // the JSON is out by then
      const late = new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('the run is over and the page never saw it end')), 2000).unref(),
      );
      const messages = await Promise.race([reading, late]);
      const [doc] = JSON.parse(f.out()) as { requests: { clientPort: number }[]; network: { namespace: boolean } }[];
      expect(doc?.network.namespace).toBe(true);

      // While it ran, not only at its end: a message with some requests done and not all.
      const during = messages.flatMap((m) =>
        'phase' in m.data && m.data.phase === 'running' && m.data.counters ? [m.data.counters.done] : [],
      );
      expect(during.some((done) => done > 0 && done < REQUESTS)).toBe(true);
      const last = messages[messages.length - 1]?.data as WireDelta;
      expect(last.counters).toMatchObject({ done: REQUESTS, ok: REQUESTS, failed: 0, inFlight: 0 });
      expect(last.verdict).toBe('reproduced');
      const lanes = new Map<number, WireLane>();
      for (const m of messages) for (const l of (m.data as WireDelta).lanes ?? []) lanes.set(l.i, l);
      const client = [...lanes.values()].filter((l) => l.link === 0);
      expect(new Set(client.map((l) => l.port))).toEqual(new Set(doc?.requests.map((r) => r.clientPort)));

      f.stop('SIGINT');
      expect(await running).toBe(0);
      await expect.poll(tcpHandles).toBe(0);
    }));

  it('the progress line on a terminal moves while it runs', async () => {
    const f = fakeContext({ cwd: dir, tty: true });
    expect(await main(['node', 'lab', 'run', file, '--no-save'], f.ctx)).toBe(0);
    expect(f.err()).toMatch(new RegExp(`\\d+/${REQUESTS} · \\d+\\.\\ds · waiting for `));
  });
});
