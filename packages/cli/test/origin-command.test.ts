import http from 'node:http';
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

    await expect.poll(() => f.out()).toMatch(/^listening on 127\.0\.0\.1:\d+ \(keep-alive timeout 2s: node closes idle sockets after 3s\)\n/);
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(f.out())?.[1]);
    const reply = await getOnce(port, 'text-1');
    expect(reply.headers['x-lab-origin']).toBe('left');
    await expect.poll(() => f.out()).toMatch(/closed after 1 request: connection-close\n/);

    f.stop('SIGTERM');
    expect(await exit).toBe(0);
    const [, header, request] = f.out().split('\n');
    expect(header).toBe('           t  remote port  conn  nth  method  id');
    expect(request).toMatch(new RegExp(`^ +\\d+\\.\\d ms +${reply.localPort}     1    1  GET     text-1$`));
    expect(request?.indexOf(String(reply.localPort)) ?? 0).toBe((header?.indexOf('remote port') ?? 0) + 'remote port'.length - String(reply.localPort).length);
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
});
