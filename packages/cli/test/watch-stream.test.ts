import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, request, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WireDelta, WireLane, WireSnapshot } from '@keepalive-lab/report';
import { main } from '../src/main.js';
import { fakeContext } from './fake-context.js';
import { connectOutcome, liveUrl, stoppedAfterEach, tcpHandles, withBrowserEnv } from './watch-support.js';

const track = stoppedAfterEach();

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lab-watch-stream-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

type Message = { event: string; data: WireSnapshot | WireDelta | Record<string, never> };

/** Reads /events with node:http as a page would, message by message, until `until` says stop or the server ends it. */
function readEvents(url: string, until: (m: Message) => boolean): Promise<{ messages: Message[]; res: IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}events`, (res) => {
      const messages: Message[] = [];
      let buf = '';
      let done = false;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        for (let end = buf.indexOf('\n\n'); end >= 0 && !done; end = buf.indexOf('\n\n')) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
          const data = /^data: (.*)$/m.exec(block)?.[1] ?? '{}';
          const m = { event, data: JSON.parse(data) } as Message;
          messages.push(m);
          if (until(m)) {
            done = true;
            resolve({ messages, res });
          }
        }
      });
      res.on('end', () => {
        if (!done) resolve({ messages, res });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** Every lane as the last message that carried it left it. */
function lanesOf(messages: Message[]): WireLane[] {
  const lanes = new Map<number, WireLane>();
  for (const m of messages) {
    if (m.event === 'snapshot') lanes.clear();
    for (const l of (m.data as WireDelta).lanes ?? []) lanes.set(l.i, l);
  }
  return [...lanes.values()];
}

describe('the live stream (server-sent events)', () => {
  it('tells keepalive-pipe-l4 as it runs: lanes carry the client and origin ports, bars the request ids; Ctrl-C leaves no socket', () =>
    withBrowserEnv(async () => {
      const f = fakeContext({ cwd: dir });
      const running = track(f, main(['node', 'lab', 'run', 'keepalive-pipe-l4', '--watch', '--open', '--results-dir', 'res'], f.ctx));
      const url = await liveUrl(f);
      // --open waits for a page: this stream is it, so it sees the run from the start.
      const { messages, res } = await readEvents(url, (m) => 'phase' in m.data && m.data.phase === 'done');
      expect(messages[0]?.event).toBe('snapshot');
      const phases = messages.map((m) => ('phase' in m.data ? m.data.phase : ''));
      expect(phases).toContain('running');
      expect(messages.filter((m) => m.event === 'delta').length).toBeGreaterThan(0);

      await expect.poll(() => f.err()).toContain('keeps its last state until Ctrl-C'); // saved by then
      const folder = join(dir, 'res', 'keepalive-pipe-l4');
      const doc = JSON.parse(await readFile(join(folder, (await readdir(folder))[0] ?? ''), 'utf8')) as {
        requests: { id: string; clientPort: number; originPort: number }[];
      };
      const lanes = lanesOf(messages);
      const client = lanes.filter((l) => l.link === 0);
      const origin = lanes.filter((l) => l.link === 1);
      expect(new Set(client.map((l) => l.port))).toEqual(new Set(doc.requests.map((r) => r.clientPort)));
      expect(new Set(origin.map((l) => l.port))).toEqual(new Set(doc.requests.map((r) => r.originPort)));
      expect(client.every((l) => l.server === 'pipe-l4') && origin.every((l) => l.server === 'origin')).toBe(true);
      // Each request is a bar on the lane of its client port and on the lane of the port the origin saw.
      const on = (ls: WireLane[], id: string) => ls.find((l) => l.bars.some((b) => b.id === id && b.n === 1))?.port;
      for (const r of doc.requests) {
        expect([r.id, on(client, r.id), on(origin, r.id)]).toEqual([r.id, r.clientPort, r.originPort]);
      }
      const last = messages[messages.length - 1]?.data as WireDelta;
      expect(last.counters).toMatchObject({ done: 20, ok: 20, failed: 0, inFlight: 0 });
      expect(last.verdict).toBe('reproduced');

      // Ctrl-C: the stream is told goodbye and ended, the command returns, nothing listens, no socket is left.
      const ended = new Promise<string[]>((resolve) => {
        const tail: string[] = [];
        res.on('data', (chunk: string) => tail.push(chunk));
        res.on('end', () => resolve(tail));
      });
      f.stop('SIGINT');
      expect(await running).toBe(0);
      expect((await ended).join('')).toContain('event: bye');
      expect(await connectOutcome(Number(new URL(url).port))).toBe('ECONNREFUSED');
      await expect.poll(tcpHandles).toBe(0);
    }));

  it('--watch-exit stops serving when the run ends, by itself', async () => {
    const f = fakeContext({ cwd: dir });
    const code = await main(['node', 'lab', 'run', 'keepalive-direct', '--watch', '--watch-exit', '--no-save'], f.ctx);
    expect(code).toBe(0);
    const url = await liveUrl(f);
    expect(f.err()).toContain('it closes when the run ends');
    expect(await connectOutcome(Number(new URL(url).port))).toBe('ECONNREFUSED');
    await expect.poll(tcpHandles).toBe(0);
  });

  it('lab watch <name> is lab run <name> --watch', async () => {
    const f = fakeContext({ cwd: dir });
    const code = await main(
      ['node', 'lab', 'watch', 'keepalive-direct', '--watch-exit', '--no-save', '--set', 'client.requests=10'],
      f.ctx,
    );
    expect(f.err()).toMatch(/live view: http:\/\/127\.0\.0\.1:\d+\//);
    expect(code).toBe(0);
    expect(f.out()).toContain('✓ reproduced');
  });

  it('a replay waits for its page, then plays the saved run on the same stream', async () => {
    const fixture = fileURLToPath(new URL('../../report/test/fixtures/keepalive-pipe-l4.json', import.meta.url));
    const saved = JSON.parse(await readFile(fixture, 'utf8')) as { requests: { clientPort: number }[] };
    const f = fakeContext({ cwd: dir });
    const running = track(f, main(['node', 'lab', 'show', fixture, '--watch', '--speed', '50', '--watch-exit'], f.ctx));
    const url = await liveUrl(f);
    const { messages } = await readEvents(url, () => false); // --watch-exit: the server ends the stream after the replay
    expect(await running).toBe(0);
    const snapshot = messages[0]?.data as WireSnapshot;
    expect(snapshot).toMatchObject({ mode: 'replay', replay: { speed: 50, paused: false } });
    const client = lanesOf(messages).filter((l) => l.link === 0);
    expect(new Set(client.map((l) => l.port))).toEqual(new Set(saved.requests.map((r) => r.clientPort)));
    expect(messages.some((m) => 'phase' in m.data && m.data.phase === 'done')).toBe(true);
    expect(messages[messages.length - 1]?.event).toBe('bye');
    await expect.poll(tcpHandles).toBe(0);
  });
});

describe('--watch flags', () => {
  const lab = async (...args: string[]) => {
    const f = fakeContext({ cwd: dir });
    const code = await main(['node', 'lab', ...args], f.ctx);
    return { code, err: f.err() };
  };

  it('refuses a bad value, naming the flag, with exit 2 and no stack trace', async () => {
    for (const [args, flag] of [
      [['run', 'keepalive-direct', '--watch', '--watch-port', 'abc'], '--watch-port'],
      [['run', 'keepalive-direct', '--watch', '--watch-port', '70000'], '--watch-port'],
      [['show', 'keepalive-direct', '--watch', '--speed', '0'], '--speed'],
      [['show', 'keepalive-direct', '--watch', '--speed', 'fast'], '--speed'],
      [['run', 'keepalive-direct', '--open'], '--open'],
      [['show', 'keepalive-direct', '--speed', '2'], '--speed'],
    ] as const) {
      const r = await lab(...args);
      expect([args.join(' '), r.code]).toEqual([args.join(' '), 2]);
      expect(r.err).toContain(flag);
      expect(r.err).toContain('LAB_ERR_USAGE');
      expect(r.err).not.toMatch(/\n\s+at /);
    }
  });

  it('a --watch-port in use is refused with exit 2, naming the flag', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const r = await lab('run', 'keepalive-direct', '--no-save', '--watch', '--watch-port', String(port));
      expect(r.code).toBe(2);
      expect(r.err).toContain(`--watch-port ${port}`);
      expect(r.err).toContain('LAB_ERR_PORT_IN_USE');
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
