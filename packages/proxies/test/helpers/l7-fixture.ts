import { test } from 'vitest';
import { Recorder, type LabEvent } from '@keepalive-lab/core';
import { createL7Proxy, type L7Proxy, type L7ProxyOptions } from '../../src/l7/index.js';
import { createL7FastProxy, type L7FastProxy } from '../../src/l7-fast/index.js';
import { FakeOrigin, type Responder } from './l7-fake-origin.js';
import { RawClient } from './l7-raw-client.js';

type EventOf<K extends LabEvent['event']> = Extract<LabEvent, { event: K }>;

/**
 * The two engines every L7 duty test runs against: node:http (l7) and raw
 * llhttp (l7-fast). A file runs its tests once per engine with
 * `describe.each(ENGINES)(...)` and `test.scoped({ kind })`; each engine's
 * `Via` and event `proxy` name is its kind.
 */
export const ENGINES = ['l7', 'l7-fast'] as const;
export type EngineKind = (typeof ENGINES)[number];
export type L7Engine = L7Proxy | L7FastProxy;

/** Everything one L7 test opens; all of it is closed after the test. */
export interface L7Lab {
  recorder: Recorder;
  origin(responder?: Responder, port?: number): Promise<FakeOrigin>;
  /** A proxy in front of `origins` (in order); short timeouts unless overridden. */
  proxy(origins: FakeOrigin[], options?: Partial<L7ProxyOptions>): Promise<L7Engine>;
  client(proxy: L7Engine): Promise<RawClient>;
  /** Events of one kind recorded so far. */
  events<K extends LabEvent['event']>(kind: K): Array<EventOf<K>>;
  /** Resolves with the first event of that kind matching `pred`, past or future. */
  waitEvent<K extends LabEvent['event']>(kind: K, pred?: (e: EventOf<K>) => boolean): Promise<EventOf<K>>;
}

export const l7Test = test.extend<{ kind: EngineKind; lab: L7Lab }>({
  kind: 'l7',
  lab: async ({ kind }, use) => {
    const recorder = new Recorder();
    const origins: FakeOrigin[] = [];
    const proxies: L7Engine[] = [];
    const create = kind === 'l7' ? createL7Proxy : createL7FastProxy;
    const clients: RawClient[] = [];
    const lab: L7Lab = {
      recorder,
      async origin(responder, port) {
        const o = new FakeOrigin(responder);
        origins.push(o);
        return o.listen(port);
      },
      async proxy(targets, options = {}) {
        const p = create({
          targets: targets.map((o) => ({ host: '127.0.0.1', port: o.port })),
          recorder,
          upstreamTimeout: 300,
          headerTimeout: 300,
          closeGraceMs: 100,
          ...options,
        });
        proxies.push(p);
        await p.listen();
        return p;
      },
      async client(proxy) {
        const port = proxy.endpoint?.port;
        if (port === undefined) throw new Error('proxy not listening');
        const c = await RawClient.connect(port);
        clients.push(c);
        return c;
      },
      events(kind) {
        return recorder.events.filter((e): e is EventOf<typeof kind> => e.event === kind);
      },
      waitEvent(kind, pred = () => true) {
        const found = lab.events(kind).find(pred);
        if (found !== undefined) return Promise.resolve(found);
        return new Promise((resolve) => {
          const off = recorder.on((e) => {
            if (e.event === kind && pred(e as EventOf<typeof kind>)) {
              off();
              resolve(e as EventOf<typeof kind>);
            }
          });
        });
      },
    };
    await use(lab);
    for (const c of clients) c.destroy();
    await Promise.all(proxies.map((p) => p.close()));
    await Promise.all(origins.map((o) => o.close()));
  },
});

/** `GET <path>` with a request id, HTTP/1.1. */
export const get = (id: string, path = '/', extra = ''): string =>
  `GET ${path} HTTP/1.1\r\nHost: lab\r\nx-lab-request-id: ${id}\r\n${extra}\r\n`;

/** A request with a Content-Length body. */
export const withBody = (method: string, id: string, body: string, extra = ''): string =>
  `${method} / HTTP/1.1\r\nHost: lab\r\nx-lab-request-id: ${id}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;
