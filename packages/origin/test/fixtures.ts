import { Agent, request, type AgentOptions, type IncomingHttpHeaders } from 'node:http';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { test as base } from 'vitest';
import { Recorder, type LabEvent } from '@keepalive-lab/core';
import { createOrigin, type Origin, type OriginOptions } from '../src/index.js';

export interface Started {
  origin: Origin;
  recorder: Recorder;
  port: number;
}

export interface Lab {
  /** An origin on 127.0.0.1:0 with its own recorder; closed after the test. */
  start(options?: OriginOptions): Promise<Started>;
  /** An http.Agent destroyed after the test. */
  agent(options: AgentOptions): Agent;
  /** A raw TCP client, destroyed after the test. */
  raw(port: number): Promise<Socket>;
}

/** Everything a test opens is closed after `use`, even when the test fails. */
export const test = base.extend<{ lab: Lab }>({
  lab: async ({}, use) => {
    const origins: Origin[] = [];
    const agents: Agent[] = [];
    const sockets: Socket[] = [];
    await use({
      async start(options = {}) {
        const recorder = new Recorder();
        const origin = createOrigin({ ...options, recorder });
        origins.push(origin);
        const { port } = await origin.listen();
        return { origin, recorder, port };
      },
      agent(options) {
        const a = new Agent(options);
        agents.push(a);
        return a;
      },
      async raw(port) {
        const s = connect(port, '127.0.0.1');
        sockets.push(s);
        await once(s, 'connect');
        return s;
      },
    });
    for (const a of agents) a.destroy();
    for (const s of sockets) s.destroy();
    await Promise.all(origins.map((o) => o.close()));
  },
});

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  localPort: number | undefined;
}

/** One request with node's client; resolves the whole response. */
export function get(
  port: number,
  options: { agent: Agent | false; id?: string; method?: string; body?: Buffer; chunked?: boolean },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (options.id !== undefined) headers['x-lab-request-id'] = options.id;
    if (options.body !== undefined && !options.chunked) headers['content-length'] = String(options.body.length);
    const req = request({ host: '127.0.0.1', port, path: '/', method: options.method ?? 'GET', agent: options.agent, headers }, (res) => {
      // Read now: a keep-alive agent takes the socket back before 'end'.
      const localPort = res.socket.localPort;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), localPort }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Resolves the first recorded event matching `match`, already recorded or yet to come. */
export function waitForEvent<E extends LabEvent>(recorder: Recorder, match: (e: LabEvent) => e is E): Promise<E> {
  const seen = recorder.events.find(match);
  if (seen !== undefined) return Promise.resolve(seen);
  return new Promise((resolve) => {
    const off = recorder.on((e) => {
      if (match(e)) {
        off();
        resolve(e);
      }
    });
  });
}

export const originEvents = <K extends LabEvent['event']>(recorder: Recorder, kind: K): Extract<LabEvent, { event: K }>[] =>
  recorder.events.filter((e): e is Extract<LabEvent, { event: K }> => e.event === kind);

export const connClose =
  (conn: number) =>
  (e: LabEvent): e is Extract<LabEvent, { event: 'conn-close' }> =>
    e.event === 'conn-close' && e.conn === conn;
