import http from 'node:http';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { main } from '../src/index.js';
import { fakeContext } from './fake-context.js';

const lines = (text: string): Record<string, unknown>[] =>
  text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** One Connection: close GET; resolves the port the client used and the origin's stamps. */
function getOnce(port: number, id: string): Promise<{ localPort: number | undefined; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, agent: false, headers: { 'x-lab-request-id': id } }, (res) => {
        const localPort = res.socket.localPort;
        res.resume();
        res.on('end', () => resolve({ localPort, headers: res.headers }));
      })
      .on('error', reject);
  });
}

const GET = (id: string): string => `GET / HTTP/1.1\r\nHost: lab\r\nx-lab-request-id: ${id}\r\n\r\n`;

/** A raw keep-alive client: only the origin decides when the connection ends. */
async function rawSocket(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  return socket;
}

/** Writes one request and reads one whole response (framed by Content-Length); resolves its status line. */
function exchange(socket: Socket, id: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.subarray(0, end).toString('latin1');
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      if (buf.length < end + 4 + length) return;
      socket.off('data', onData);
      socket.off('close', onClose);
      resolve(head.split('\r\n')[0] ?? '');
    };
    const onClose = () => reject(new Error(`closed after ${buf.length} bytes, before a whole response`));
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.write(GET(id));
  });
}

/** Writes a request the origin should drop; resolves the bytes the client got before the connection closed. */
async function dropped(socket: Socket, id: string): Promise<number> {
  let bytes = 0;
  socket.on('data', (c: Buffer) => (bytes += c.length));
  socket.on('error', () => {
    // A reset instead of a FIN is as valid: what matters is that no answer came.
  });
  socket.write(GET(id));
  await once(socket, 'close');
  return bytes;
}

/** Runs `lab origin --listen 127.0.0.1:0 --json <args>`; resolves once it listens. */
async function jsonOrigin(args: string[]) {
  const f = fakeContext();
  const exit = main(['node', 'lab', 'origin', '--listen', '127.0.0.1:0', '--json', ...args], f.ctx);
  const listening = JSON.parse(await f.nextLine()) as Record<string, unknown>;
  expect(listening).toMatchObject({ event: 'listening' });
  /** The next NDJSON event that matches, parsed. */
  const next = async (match: (e: Record<string, unknown>) => boolean) => {
    for (;;) {
      const e = JSON.parse(await f.nextLine()) as Record<string, unknown>;
      if (match(e)) return e;
    }
  };
  return { f, exit, port: Number(listening.port), next };
}

describe('lab origin', () => {
  it('with --json prints the listening line, then a request line per request, and stops on the signal', async () => {
    const f = fakeContext();
    const exit = main(['node', 'lab', 'origin', '--listen', '127.0.0.1:0', '--json'], f.ctx);

    await expect.poll(() => f.out().includes('\n')).toBe(true);
    const listening = lines(f.out())[0];
    expect(listening).toEqual({ event: 'listening', address: '127.0.0.1', port: expect.any(Number) });
    const port = Number(listening?.port);

    const reply = await getOnce(port, 'cli-1');
    expect(reply.headers['x-lab-origin-port']).toBe(String(reply.localPort));
    await expect.poll(() => lines(f.out()).filter((e) => e.event === 'conn-close').length).toBe(1);

    f.stop();
    expect(await exit).toBe(0);

    const events = lines(f.out());
    expect(events.map((e) => e.event)).toEqual(['listening', 'conn-open', 'request', 'conn-close']);
    expect(events[2]).toMatchObject({ event: 'request', id: 'cli-1', remotePort: reply.localPort, conn: 1, nth: 1, t: expect.any(Number) });
    expect(events[3]).toMatchObject({ event: 'conn-close', conn: 1, requests: 1, reason: 'connection-close' });
    expect(f.err()).toBe('');
  });

  it('prints aligned request lines and close reasons without --json', async () => {
    const f = fakeContext();
    const exit = main(['node', 'lab', 'origin', '--listen', '127.0.0.1:0', '--name', 'left', '--keep-alive-timeout', '2s'], f.ctx);

    await expect
      .poll(() => f.out())
      .toMatch(/^listening on 127\.0\.0\.1:\d+ \(keep-alive timeout 2s: node closes idle sockets after 3s\)\n/);
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(f.out())?.[1]);
    const reply = await getOnce(port, 'text-1');
    expect(reply.headers['x-lab-origin']).toBe('left');
    await expect.poll(() => f.out()).toMatch(/closed after 1 request: connection-close\n/);

    f.stop('SIGTERM');
    expect(await exit).toBe(0);
    const [, header, request] = f.out().split('\n');
    expect(header).toBe('           t  remote port  conn  nth  method  id');
    expect(request).toMatch(new RegExp(`^ +\\d+\\.\\d ms +${reply.localPort}     1    1  GET     text-1$`));
    expect(request?.indexOf(String(reply.localPort)) ?? 0).toBe(
      (header?.indexOf('remote port') ?? 0) + 'remote port'.length - String(reply.localPort).length,
    );
    expect(f.out()).toMatch(/stopped \(SIGTERM\) after 1 request\n$/);
  });

  it('refuses a bad duration with exit 2, naming the flag', async () => {
    const f = fakeContext();
    expect(await main(['node', 'lab', 'origin', '--listen', '127.0.0.1:0', '--keep-alive-timeout', '2 s'], f.ctx)).toBe(2);
    expect(f.err()).toContain('--keep-alive-timeout: expected a duration like 500ms, 2s or 1m, found "2 s"');
    expect(f.out()).toBe('');
  });

  it('refuses a port in use with exit 2 and LAB_ERR_PORT_IN_USE', async () => {
    const busy = http.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const address = busy.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const f = fakeContext();

    const code = await main(['node', 'lab', 'origin', '--listen', `127.0.0.1:${port}`], f.ctx);
    await new Promise<void>((resolve, reject) => busy.close((e) => (e ? reject(e) : resolve())));

    expect(code).toBe(2);
    expect(f.err()).toContain('LAB_ERR_PORT_IN_USE');
  });

  it('--help names every knob and fault flag', async () => {
    const f = fakeContext();
    expect(await main(['node', 'lab', 'origin', '--help'], f.ctx)).toBe(0);
    for (const flag of [
      '--keep-alive-timeout <duration>',
      '--idle-close-buffer <duration>',
      '--close-window <duration>',
      '--drop-on-reuse',
      '--reset-mid-response',
      '--silent',
      '--down-for <duration>',
    ]) {
      expect(f.out()).toContain(flag);
    }
  });

  it.each([
    ['--idle-close-buffer', '-1s'],
    ['--close-window', '1'],
    ['--down-for', 'soon'],
    ['--delay', '5 ms'],
  ])('refuses a bad %s with exit 2, naming the flag', async (flag, value) => {
    const f = fakeContext();
    expect(await main(['node', 'lab', 'origin', '--listen', '127.0.0.1:0', flag, value], f.ctx)).toBe(2);
    expect(f.err()).toContain(`${flag}: expected a duration like 500ms, 2s or 1m, found ${JSON.stringify(value)}`);
    expect(f.out()).toBe('');
  });

  it('--drop-on-reuse: the second request on a kept-alive connection gets no answer; the text lines show the request and the drop', async () => {
    const f = fakeContext();
    const exit = main(['node', 'lab', 'origin', '--listen', '127.0.0.1:0', '--drop-on-reuse'], f.ctx);
    const listening = await f.nextLine();
    expect(listening).toMatch(
      /^listening on 127\.0\.0\.1:\d+ \(keep-alive timeout 5s: node closes idle sockets after 6s\); faults: dropOnReuse$/,
    );
    const socket = await rawSocket(Number(/:(\d+) /.exec(listening)?.[1]));

    try {
      expect(await exchange(socket, 'fresh')).toBe('HTTP/1.1 200 OK');
      expect(await dropped(socket, 'stale')).toBe(0);
      await f.nextLine((l) => l.includes('closed after'));
    } finally {
      socket.destroy();
    }
    f.stop();
    expect(await exit).toBe(0);

    const text = f.out();
    expect(text).toMatch(/ +1 +2 {2}GET {5}stale\n/);
    expect(text).toMatch(/ ms {2}fault dropOnReuse on conn #1, request stale: reused connection closed without a byte\n/);
    expect(text).toMatch(/conn #1 \(port \d+\) closed after 1 request: fault\n/);
    expect(text).toMatch(/stopped \(SIGINT\) after 1 request, 1 fault\n$/);
  });

  it('--reset-mid-response: the client sees a reset; the NDJSON shows the request and the fault', async () => {
    const { f, exit, port, next } = await jsonOrigin(['--reset-mid-response']);

    const code = await new Promise<string | undefined>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, agent: false, headers: { 'x-lab-request-id': 'cut' } }, (res) => {
        res.resume();
        res.on('error', (err: NodeJS.ErrnoException) => resolve(err.code));
        res.on('end', () => resolve(res.complete ? 'complete' : 'incomplete'));
      });
      req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code));
    });
    expect(code).toBe('ECONNRESET');
    await next((e) => e.event === 'conn-close');

    f.stop();
    expect(await exit).toBe(0);
    const events = lines(f.out());
    expect(events.filter((e) => e.event === 'request' || e.event === 'fault')).toMatchObject([
      { event: 'request', id: 'cut', nth: 1 },
      { event: 'fault', fault: 'resetMidResponse', id: 'cut', conn: 1 },
    ]);
    expect(events.find((e) => e.event === 'conn-close')).toMatchObject({ reason: 'fault', requests: 0 });
  });

  it('--silent: the request is read and never answered; stopping still ends the command', async () => {
    const { f, exit, port, next } = await jsonOrigin(['--silent']);
    const socket = await rawSocket(port);
    let received = 0;
    socket.on('data', (c: Buffer) => (received += c.length));
    socket.on('error', () => undefined);

    try {
      socket.write(GET('hung'));
      expect(await next((e) => e.event === 'fault')).toMatchObject({ fault: 'silent', id: 'hung' });
      f.stop();
      expect(await exit).toBe(0);
    } finally {
      socket.destroy();
    }
    expect(received).toBe(0);
    expect(lines(f.out()).find((e) => e.event === 'conn-close')).toMatchObject({ reason: 'server-close', requests: 0 });
  });

  it('--down-for: the listening line first, then connections refused until the origin is up again on the same port', async () => {
    const { f, exit, port, next } = await jsonOrigin(['--down-for', '300ms']);
    // Recorded inside listen(), printed after the listening line.
    expect(await next(() => true)).toMatchObject({ event: 'fault', fault: 'down', conn: 0 });

    const refused = await new Promise<string>((resolve) => {
      http
        .get({ host: '127.0.0.1', port, agent: false }, () => resolve('answered'))
        .on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
    await next((e) => e.event === 'fault' && e.fault === 'up');
    expect((await getOnce(port, 'back')).headers['x-lab-origin-nth']).toBe('1');

    f.stop();
    expect(await exit).toBe(0);
  });

  it('--idle-close-buffer and --close-window reach the origin: the window opens at the timeout, a request in it gets no answer', async () => {
    const { f, exit, port, next } = await jsonOrigin([
      '--keep-alive-timeout',
      '200ms',
      '--idle-close-buffer',
      '0ms',
      '--close-window',
      '1s',
    ]);
    const socket = await rawSocket(port);

    try {
      expect(await exchange(socket, 'before')).toBe('HTTP/1.1 200 OK');
      const request = await next((e) => e.event === 'request');
      const open = await next((e) => e.event === 'fault');
      expect(open).toMatchObject({ fault: 'closeWindow-open', conn: 1, id: null });
      // At the 200ms timeout itself: with node's buffer it would be 1.2s.
      expect(Number(open.t) - Number(request.t)).toBeLessThan(1000);
      expect(await dropped(socket, 'late')).toBe(0);
      await next((e) => e.event === 'conn-close');
    } finally {
      socket.destroy();
    }
    f.stop();
    expect(await exit).toBe(0);

    const events = lines(f.out())
      .slice(1)
      .filter((e) => e.event !== 'conn-open');
    expect(events.map((e) => [e.event, e.id ?? null, e.fault ?? e.reason ?? null])).toEqual([
      ['request', 'before', null],
      ['fault', null, 'closeWindow-open'],
      ['request', 'late', null],
      ['fault', 'late', 'closeWindow'],
      ['conn-close', null, 'idle-timeout'],
    ]);
  });

  // lab origin with a 200 ms idle timeout closing at the advertised time and a 2 s closing window.
  const WINDOW_ARGS = [
    'node',
    'lab',
    'origin',
    '--listen',
    '127.0.0.1:0',
    '--keep-alive-timeout',
    '200ms',
    '--idle-close-buffer',
    '0ms',
    '--close-window',
    '2s',
  ];

  it('prints the moved idle close, the window and the faults on the listening line, and a line when a window opens', async () => {
    const f = fakeContext();
    const exit = main([...WINDOW_ARGS, '--silent'], f.ctx);
    const listening = await f.nextLine();
    expect(listening).toMatch(/^listening on 127\.0\.0\.1:\d+ \(keep-alive timeout 200ms: /);
    expect(listening).toContain(
      'idle sockets close after 200ms, at the advertised timeout; a 2s closing window before each idle close drops any request); faults: silent',
    );
    expect(listening.endsWith('faults: silent')).toBe(true);
    f.stop();
    expect(await exit).toBe(0);

    const g = fakeContext();
    const exit2 = main(WINDOW_ARGS, g.ctx);
    const port = Number(/:(\d+) /.exec(await g.nextLine())?.[1]);
    const socket = await rawSocket(port);
    try {
      await exchange(socket, 'idle');
      expect(await g.nextLine((l) => l.includes('closing window open'))).toMatch(
        / ms {2}conn #1 idle: closing window open for 2s, a request on it now is dropped$/,
      );
    } finally {
      socket.destroy();
    }
    g.stop();
    expect(await exit2).toBe(0);
  });
});

describe('lab origin --engine', () => {
  it('--engine fast serves with the stamps and events of the node engine, and says so on the listening line', async () => {
    const { f, exit, port, next } = await jsonOrigin(['--engine', 'fast', '--max-requests-per-socket', '2']);
    const socket = await rawSocket(port);
    expect(await exchange(socket, 'f1')).toBe('HTTP/1.1 200 OK');
    expect(await exchange(socket, 'f2')).toBe('HTTP/1.1 200 OK');
    expect(await next((e) => e.event === 'request' && e.id === 'f2')).toMatchObject({ conn: 1, nth: 2, method: 'GET' });
    expect(await next((e) => e.event === 'conn-close')).toMatchObject({ conn: 1, requests: 2, reason: 'max-requests' });
    socket.destroy();
    f.stop();
    expect(await exit).toBe(0);

    const g = fakeContext();
    const text = main(['node', 'lab', 'origin', '--listen', '127.0.0.1:0', '--engine', 'fast'], g.ctx);
    expect(await g.nextLine()).toMatch(/^listening on 127\.0\.0\.1:\d+ \(fast engine; keep-alive timeout 5s/);
    g.stop();
    expect(await text).toBe(0);
  });

  it('refuses a bad --engine with exit 2, naming the flag; and a fault flag with --engine fast, naming the option', async () => {
    const f = fakeContext();
    expect(await main(['node', 'lab', 'origin', '--listen', '127.0.0.1:0', '--engine', 'turbo'], f.ctx)).toBe(2);
    expect(f.err()).toContain('--engine: expected one of node, fast, found "turbo"');
    const g = fakeContext();
    expect(await main(['node', 'lab', 'origin', '--listen', '127.0.0.1:0', '--engine', 'fast', '--silent'], g.ctx)).toBe(2);
    expect(g.err()).toContain("faults.silent: expected false (node engine only; engine 'fast')");
    expect(g.out()).toBe('');
  });
});
