import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:http2';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { h2request } from './h2c-fixtures.js';

// `lab origin --protocol h2c`, as a user runs it: the real CLI in its own process.

const LAB = fileURLToPath(new URL('../../cli/bin/lab.js', import.meta.url));

function lab(args: string[]) {
  const child = spawn(process.execPath, [LAB, 'origin', '--listen', '127.0.0.1:0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  return { child, lines, exited, err: () => err };
}

describe('lab origin --protocol', () => {
  it('h2c: listens and answers an HTTP/2 request with the stamps, recorded as nth 1 on conn 1', async () => {
    const { child, lines, exited } = lab(['--protocol', 'h2c', '--json']);
    try {
      const first = await lines.next();
      const listening = JSON.parse(String(first.value)) as { event: string; port: number };
      expect(listening.event).toBe('listening');

      const session = connect(`http://127.0.0.1:${listening.port}`);
      await once(session, 'connect');
      const localPort = session.socket.localPort;
      const reply = await h2request(session, { id: 'cli-1' });
      session.close();
      await once(session, 'close');

      expect(reply).toMatchObject({
        status: 200,
        body: 'ok\n',
        headers: { 'x-lab-origin-nth': '1', 'x-lab-origin-conn': '1', 'x-lab-origin-port': String(localPort) },
      });
      const events: Record<string, unknown>[] = [];
      while (!events.some((e) => e.event === 'conn-close'))
        events.push(JSON.parse(String((await lines.next()).value)) as Record<string, unknown>);
      expect(events.map((e) => e.event)).toEqual(['conn-open', 'request', 'conn-close']);
      expect(events[1]).toMatchObject({ id: 'cli-1', conn: 1, nth: 1, remotePort: localPort });
      expect(events[2]).toMatchObject({ reason: 'peer-closed', requests: 1 });
    } finally {
      child.kill('SIGINT');
    }
    expect((await exited)[0]).toBe(0);
  });

  it('the text listening line says h2c and when idle sessions close', async () => {
    const { child, lines, exited } = lab(['--protocol', 'h2c', '--keep-alive-timeout', '2s']);
    try {
      const line = String((await lines.next()).value);
      expect(line).toMatch(/^listening on 127\.0\.0\.1:\d+ \(h2c, idle timeout 2s: idle sessions get a GOAWAY after 3s\)$/);
      // One request, answered: by then the command listens for its stop signal (it starts to right after that line).
      const session = connect(`http://127.0.0.1:${Number(/:(\d+) /.exec(line)?.[1])}`);
      await once(session, 'connect');
      expect((await h2request(session)).status).toBe(200);
      session.destroy();
    } finally {
      child.kill('SIGINT');
    }
    expect((await exited)[0]).toBe(0);
  });

  it('h3: exit 2, naming the flag', async () => {
    const { exited, err } = lab(['--protocol', 'h3']);
    expect((await exited)[0]).toBe(2);
    expect(err()).toContain('--protocol: expected one of http/1.1, h2c, found "h3"');
  });

  it('h2c with an HTTP/1.1-only flag: exit 2, naming it', async () => {
    const { exited, err } = lab(['--protocol', 'h2c', '--silent']);
    expect((await exited)[0]).toBe(2);
    expect(err()).toContain('faults.silent: expected false (HTTP/1.1 only; protocol h2c), found true');
  });
});
