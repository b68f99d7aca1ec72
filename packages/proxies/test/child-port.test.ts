import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isLabError } from '@keepalive-lab/core';
import { ChildProxy, findPeer, renderPeerConfig, type ChildProgram, type RealPeerDef } from '../src/index.js';
import { haproxy } from '../src/kinds/haproxy.js';
import { nginx } from '../src/kinds/nginx.js';
import { freePort, saysAddressInUse } from '../src/real/child-port.js';
import { closeAll, connectResult, get, portEchoOrigin, type Closers } from './helpers/real-proxy-fixture.js';

// Real processes and real sockets throughout: the "stranger" is a listener in
// this process on the port the lab is made to pick; the child is node (or a
// real peer) binding it. Only the port picker is injected.

const closers: Closers = [];
afterEach(() => closeAll(closers));

const HOST = '127.0.0.1';

/** Another process's listener (this test's): the port it holds, and how many connections reached it. */
async function stranger(): Promise<{ port: number; accepted: () => number }> {
  let accepted = 0;
  const server = net.createServer((s) => {
    accepted++;
    s.destroy();
  });
  server.listen(0, HOST);
  await once(server, 'listening');
  closers.push(async () => {
    server.close();
    await once(server, 'close');
  });
  return { port: (server.address() as net.AddressInfo).port, accepted: () => accepted };
}

/** A picker handing out `first` ports in turn, then freePort's; `picked` records every port it gave. */
function picker(...first: number[]): { pickPort: (host: string) => Promise<number>; picked: number[] } {
  const picked: number[] = [];
  return {
    picked,
    pickPort: async (host) => {
      const port = first.shift() ?? (await freePort(host));
      picked.push(port);
      return port;
    },
  };
}

/**
 * The child: node running this script with host, port and a mode.
 * listen: listens, saying `child <pid>` to each connection; on a bind error prints node's error (EADDRINUSE) and exits 1.
 * fork: listens through a grandchild (the child itself holds no socket), as apache's and varnish's workers may.
 * exit: never listens; exits 3 after 300 ms saying something that is not a bind error.
 */
const SCRIPT = String.raw`
const net = require('node:net');
const { spawn } = require('node:child_process');
const [host, port, mode] = process.argv.slice(2);
if (mode === 'listen') {
  const server = net.createServer((c) => c.end('child ' + process.pid + '\n'));
  server.on('error', (err) => { console.error(String(err)); process.exit(1); });
  server.listen(Number(port), host);
  // A grandchild whose parent is gone goes too.
  const parent = process.ppid;
  setInterval(() => { try { process.kill(parent, 0); } catch { process.exit(0); } }, 200);
} else if (mode === 'fork') {
  const kid = spawn(process.execPath, [__filename, host, port, 'listen'], { stdio: 'inherit' });
  kid.on('exit', (code) => process.exit(code ?? 1));
  process.on('SIGTERM', () => kid.kill('SIGTERM'));
} else {
  setTimeout(() => { console.error('configuration error: no such directive'); process.exit(3); }, 300);
}
`;

/** A ChildProgram running SCRIPT in `mode`. */
function nodeProgram(mode: 'listen' | 'fork' | 'exit'): ChildProgram {
  return {
    program: 'node',
    installHint: 'node',
    find: () => process.execPath,
    configure: async (dir, host, port) => {
      const path = join(dir, 'child.cjs');
      await writeFile(path, SCRIPT);
      return { args: [path, host, String(port), mode], config: SCRIPT, env: { PATH: process.env.PATH ?? '' } };
    },
    stopSignal: 'SIGTERM',
  };
}

/** A real peer's ChildProgram, as the registry builds it (real-peer.ts), for a ChildProxy given a port picker. */
function peerProgram(def: RealPeerDef, originPort: number): ChildProgram {
  return {
    program: def.peer.program,
    installHint: def.peer.debianPackage,
    find: () => findPeer(def.peer),
    configure: async (dir, host, port) => {
      const site = { dir, host, port, targets: [{ host: HOST, port: originPort }] };
      const config = await renderPeerConfig(def, {}, site);
      const path = join(dir, def.file);
      await writeFile(path, config);
      await def.prepare?.(site, {});
      return { args: def.args(path, site), config, ...(def.env ? { env: def.env(site) } : {}) };
    },
    stopSignal: def.stopSignal,
  };
}

/** Starts `proxy`, closed by the closers. */
async function start(proxy: ChildProxy): Promise<number> {
  closers.push(() => proxy.close());
  return (await proxy.listen()).port;
}

/** The first line whoever listens on `port` says to a new connection. */
async function greeting(port: number): Promise<string> {
  const sock = net.connect({ host: HOST, port });
  sock.setEncoding('utf8');
  let text = '';
  for await (const chunk of sock) text += String(chunk);
  return text.trim();
}

async function listenError(proxy: ChildProxy): Promise<unknown> {
  closers.push(() => proxy.close());
  return proxy.listen().then(
    (at) => new Error(`listen() resolved on ${at.host}:${at.port}`),
    (err: unknown) => err,
  );
}

describe('a real peer on a port the lab picked: taken before the child binds it', () => {
  it('the child exits with EADDRINUSE: the start goes again on a fresh port and succeeds', async () => {
    const taken = await stranger();
    const { pickPort, picked } = picker(taken.port);
    const proxy = new ChildProxy(nodeProgram('listen'), { targets: [], pickPort });
    const port = await start(proxy);
    expect(picked).toHaveLength(2);
    expect(picked[0]).toBe(taken.port);
    expect(port).toBe(picked[1]);
    expect(port).not.toBe(taken.port);
    // The endpoint is the child's: it answers, and the stranger saw nothing.
    expect(await greeting(port)).toBe(`child ${proxy.pid}`);
    expect(taken.accepted()).toBe(0);
    // The run's log says what happened, the first child's bind error included.
    expect(proxy.log).toContain('EADDRINUSE');
    expect(proxy.log).toContain(
      `could not bind ${HOST}:${taken.port} (in use by another process); starting it again on a fresh port (2 of 4)`,
    );
  });

  it('three retries at most: a port taken every time ends in LAB_ERR_LISTEN after 4 starts', async () => {
    const taken = await stranger();
    const { pickPort, picked } = picker(taken.port, taken.port, taken.port, taken.port, taken.port);
    const err = await listenError(new ChildProxy(nodeProgram('listen'), { targets: [], pickPort }));
    expect(isLabError(err) && err.code).toBe('LAB_ERR_LISTEN');
    expect(String(err)).toContain(`node exited (1) before listening on ${HOST}:${taken.port} (start 4 of 4, each on a fresh port)`);
    expect(String(err)).toContain('EADDRINUSE');
    expect(picked).toEqual([taken.port, taken.port, taken.port, taken.port]);
    expect(taken.accepted()).toBe(0);
  });

  it('an exit that is not about the address is not retried', async () => {
    const { pickPort, picked } = picker();
    const err = await listenError(new ChildProxy(nodeProgram('exit'), { targets: [], pickPort }));
    expect(isLabError(err) && err.code).toBe('LAB_ERR_LISTEN');
    expect(String(err)).toContain('node exited (3) before listening');
    expect(String(err)).toContain('no such directive');
    expect(picked).toHaveLength(1);
  });

  it("a caller's fixed port is not swapped for another: EADDRINUSE there fails the start", async () => {
    const taken = await stranger();
    const { pickPort, picked } = picker();
    const err = await listenError(
      new ChildProxy(nodeProgram('listen'), { targets: [], listen: { host: HOST, port: taken.port }, pickPort }),
    );
    expect(isLabError(err) && err.code).toBe('LAB_ERR_LISTEN');
    expect(String(err)).toContain('EADDRINUSE');
    expect(picked).toHaveLength(0);
  });

  for (const def of [haproxy.def, nginx.def]) {
    it.skipIf(findPeer(def.peer) === null)(`the real ${def.kind}: starts again on a fresh port and proxies there`, async () => {
      const o = await portEchoOrigin(closers);
      const taken = await stranger();
      const { pickPort, picked } = picker(taken.port);
      const proxy = new ChildProxy(peerProgram(def, o.port), { targets: [], pickPort });
      const port = await start(proxy);
      expect(picked).toHaveLength(2);
      expect(port).not.toBe(taken.port);
      expect(saysAddressInUse(proxy.log)).toBe(true);
      const agent = new http.Agent({ keepAlive: false });
      closers.push(async () => agent.destroy());
      expect((await get(port, agent)).status).toBe(200);
      expect(o.connPorts).toHaveLength(1);
      expect(taken.accepted()).toBe(0);
    });
  }
});

describe('readiness: the LISTEN socket on the port must be the child’s', () => {
  it("a stranger's listener on the chosen port is not taken for the child's", async () => {
    const taken = await stranger();
    // The child never listens and exits after 300 ms; the stranger listens on its port all along.
    const err = await listenError(new ChildProxy(nodeProgram('exit'), { targets: [], listen: { host: HOST, port: taken.port } }));
    expect(isLabError(err) && err.code).toBe('LAB_ERR_LISTEN');
    expect(String(err)).toContain(`node exited (3) before listening on ${HOST}:${taken.port}`);
    expect(taken.accepted()).toBe(0);
  });

  it('a socket a descendant of the child listens on counts (workers, a forked child)', async () => {
    const proxy = new ChildProxy(nodeProgram('fork'), { targets: [] });
    const port = await start(proxy);
    const said = await greeting(port);
    expect(said).toMatch(/^child \d+$/);
    // The grandchild answered, not the child the lab started.
    expect(said).not.toBe(`child ${proxy.pid}`);
    await proxy.close();
    expect(await connectResult(port)).toBe('ECONNREFUSED');
  });

  it('knows each real peer’s way of saying its port was taken', () => {
    const said = [
      'nginx: [emerg] 1#1: bind() to 127.0.0.1:41651 failed (98: Address already in use)',
      '[ALERT]    (16203) : Binding [haproxy.cfg:14] for frontend lab: cannot bind socket (Address already in use) for [127.0.0.1:41651]',
      'Error: loading initial config: ... listen tcp 127.0.0.1:44815: bind: address already in use',
      '2026/12/02 06:51:44| commBind Cannot bind socket FD 9 to 127.0.0.1:32825: (98) Address already in use',
      'Error: Could not get socket 127.0.0.1:41651: Address already in use',
      '(98)Address already in use: AH00072: make_sock: could not bind to address 127.0.0.1:41651',
      'Error: listen EADDRINUSE: address already in use 127.0.0.1:41651',
    ];
    expect(said.filter((line) => !saysAddressInUse(line))).toEqual([]);
    expect(saysAddressInUse('configuration error: no such directive')).toBe(false);
  });
});
