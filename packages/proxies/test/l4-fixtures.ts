import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { test as base } from 'vitest';
import { Recorder, type Endpoint, type LabEvent } from '@keepalive-lab/core';
import { createNaiveL4, createPipeL4, type L4ProxyOptions, type NaiveL4Proxy, type PipeL4Proxy } from '../src/index.js';

/**
 * Test fixtures for the L4 forwarders: a tiny node:http origin that stamps the
 * remote port it saw, raw `net` servers, the proxies and clients. Everything
 * started through `lab` is closed after the test (test.extend teardown).
 */

/** Timeline of what the tests themselves observe, in the order it happened. */
export type Mark = string;

export interface TestOrigin {
  port: number;
  endpoint: Endpoint;
  /** Remote port of each request, in arrival order. */
  requestPorts: number[];
  /** Remote port of each connection, in accept order. */
  connPorts: number[];
  server: http.Server;
}

export interface Lab {
  recorder: Recorder;
  marks: Mark[];
  origin(o?: { keepAliveTimeout?: number; name?: string; handler?: http.RequestListener }): Promise<TestOrigin>;
  rawServer(onConnection: (s: net.Socket) => void, allowHalfOpen?: boolean): Promise<Endpoint>;
  naive(targets: Endpoint[], o?: Partial<L4ProxyOptions>): Promise<{ proxy: NaiveL4Proxy; port: number }>;
  pipe(targets: Endpoint[], o?: Partial<L4ProxyOptions>): Promise<{ proxy: PipeL4Proxy; port: number }>;
  agent(o: http.AgentOptions): http.Agent;
  /** A port nothing listens on: bound, then released. */
  closedPort(): Promise<number>;
}

export interface Reply {
  status: number;
  body: string;
  localPort: number;
  reused: boolean;
  originPort: number;
  origin: string;
}

/** One GET through `port`; `agent: false` sends `Connection: close`. */
export function get(port: number, agent: http.Agent | false, marks?: Mark[], label = 'response'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
      marks?.push(label);
      const localPort = req.socket?.localPort ?? -1;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body,
          localPort,
          reused: req.reusedSocket,
          originPort: Number(res.headers['x-lab-origin-port']),
          origin: String(res.headers['x-lab-origin']),
        }),
      );
    });
    req.on('error', reject);
  });
}

export const eventsOf = <E extends LabEvent['event']>(r: Recorder, name: E): Extract<LabEvent, { event: E }>[] =>
  r.events.filter((e): e is Extract<LabEvent, { event: E }> => e.event === name);

const listen = async (server: net.Server): Promise<number> => {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const a = server.address();
  if (a === null || typeof a === 'string') throw new Error('not a TCP address');
  return a.port;
};

export const test = base.extend<{ lab: Lab }>({
  // vitest reads a fixture's dependencies from this object pattern: this one has none.
  lab: async ({}, use) => {
    const closers: (() => Promise<void>)[] = [];
    const recorder = new Recorder();
    const marks: Mark[] = [];
    const lab: Lab = {
      recorder,
      marks,
      async origin(o = {}) {
        const requestPorts: number[] = [];
        const connPorts: number[] = [];
        const name = o.name ?? 'origin';
        const server = http.createServer((req, res) => {
          const port = req.socket.remotePort ?? -1;
          requestPorts.push(port);
          if (o.handler) return o.handler(req, res);
          res.setHeader('x-lab-origin-port', port);
          res.setHeader('x-lab-origin', name);
          res.end('ok');
        });
        if (o.keepAliveTimeout !== undefined) server.keepAliveTimeout = o.keepAliveTimeout;
        server.on('connection', (s: net.Socket) => {
          const port = s.remotePort ?? -1;
          connPorts.push(port);
          s.once('close', () => marks.push(`${name}-socket-close:${port}`));
        });
        const port = await listen(server);
        closers.push(async () => {
          server.closeAllConnections();
          await new Promise<void>((r) => server.close(() => r()));
        });
        return { port, endpoint: { host: '127.0.0.1', port }, requestPorts, connPorts, server };
      },
      async rawServer(onConnection, allowHalfOpen = false) {
        const sockets = new Set<net.Socket>();
        const server = net.createServer({ allowHalfOpen }, (s) => {
          sockets.add(s);
          s.once('close', () => sockets.delete(s));
          onConnection(s);
        });
        const port = await listen(server);
        closers.push(async () => {
          for (const s of sockets) s.destroy();
          await new Promise<void>((r) => server.close(() => r()));
        });
        return { host: '127.0.0.1', port };
      },
      async naive(targets, o = {}) {
        const proxy = createNaiveL4({ recorder, ...o, targets });
        const { port } = await proxy.listen();
        closers.push(() => proxy.close());
        return { proxy, port };
      },
      async pipe(targets, o = {}) {
        const proxy = createPipeL4({ recorder, ...o, targets });
        const { port } = await proxy.listen();
        closers.push(() => proxy.close());
        return { proxy, port };
      },
      agent(o) {
        const agent = new http.Agent(o);
        closers.push(async () => agent.destroy());
        return agent;
      },
      async closedPort() {
        const server = net.createServer();
        const port = await listen(server);
        await new Promise<void>((r) => server.close(() => r()));
        return port;
      },
    };
    await use(lab);
    // Clients first, then proxies, then origins: the reverse of start order.
    for (const close of closers.reverse()) await close();
  },
});
