import { describe, expect } from 'vitest';
import type { LabEvent, Recorder } from '@keepalive-lab/core';
import type { OriginOptions } from '../src/index.js';
import { test } from './fixtures.js';
import { comparable, converse, sleep, type Conversation } from './fast-support.js';

/**
 * The fast engine answers byte for byte as node:http does (Date's value and
 * each client's own port aside), closes when node closes, and records the
 * same events: each case is sent to both engines and compared whole.
 */
const H = 'Host: lab\r\n';
const CASES: { name: string; options?: OriginOptions; send: string; responses?: number; nodeLingers?: true }[] = [
  {
    name: 'a GET with the lab id and a hop-by-hop header',
    send: `GET /a HTTP/1.1\r\n${H}x-lab-request-id: r1\r\nx-lab-hop: p1\r\nTE: trailers\r\nConnection: TE\r\n\r\n`,
  },
  // Four pipelined under a cap of 2: 200, 200 (Connection: close), then node's 503 for each request behind. node then
  // leaves the socket open until its idle timer (a quirk of node 20: the 503s undo the close); the fast engine closes.
  {
    name: 'four pipelined GETs under maxRequestsPerSocket 2',
    options: { maxRequestsPerSocket: 2 },
    send: `GET / HTTP/1.1\r\n${H}\r\n`.repeat(4),
    responses: 4,
    nodeLingers: true,
  },
  { name: 'keepAlive false', options: { keepAlive: false }, send: `GET / HTTP/1.1\r\n${H}\r\n` },
  { name: 'keepAliveHint false', options: { keepAliveHint: false }, send: `GET / HTTP/1.1\r\n${H}\r\n` },
  { name: 'keepAliveTimeout 0 (no hint)', options: { keepAliveTimeout: 0 }, send: `GET / HTTP/1.1\r\n${H}\r\n` },
  { name: 'keepAliveTimeout 2500 (timeout=2)', options: { keepAliveTimeout: 2500 }, send: `GET / HTTP/1.1\r\n${H}\r\n` },
  { name: 'responseBytes 70000', options: { responseBytes: 70_000 }, send: `GET / HTTP/1.1\r\n${H}\r\n` },
  { name: 'HTTP/1.0', send: 'GET / HTTP/1.0\r\n\r\n' },
  { name: 'HTTP/1.0 with Connection: keep-alive', send: 'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n' },
  { name: 'Connection: close from the client', send: `GET / HTTP/1.1\r\n${H}Connection: close\r\n\r\n` },
  { name: 'HEAD, then a GET', send: `HEAD / HTTP/1.1\r\n${H}\r\n`, responses: 0 },
  { name: 'POST with Content-Length', send: `POST / HTTP/1.1\r\n${H}Content-Length: 11\r\n\r\nhello world` },
  { name: 'POST chunked', send: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n` },
  { name: 'Expect: 100-continue', send: `POST / HTTP/1.1\r\n${H}Expect: 100-continue\r\nContent-Length: 2\r\n\r\nhi` },
  { name: 'HTTP/1.1 without Host, behind a good request', send: `GET / HTTP/1.1\r\n${H}\r\nGET / HTTP/1.1\r\n\r\n`, responses: 2 },
  { name: 'bytes llhttp refuses', send: `GET / HTTP/1.1\r\n${H}Content-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n` },
];

/** An event without what differs by nature: time and the client's port. */
function comparableEvents(recorder: Recorder): Record<string, unknown>[] {
  return recorder.events.map((e: LabEvent) => {
    const { t: _t, remotePort: _p, ...rest } = e as LabEvent & { remotePort?: unknown };
    return rest;
  });
}

async function connClosed(recorder: Recorder): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!recorder.events.some((e) => e.event === 'conn-close') && Date.now() < deadline) await sleep(5);
}

describe("the fast engine answers as node's does", () => {
  for (const c of CASES) {
    test(c.name, async ({ lab }) => {
      const got: Record<string, { talk: Conversation; recorder: Recorder }> = {};
      for (const engine of ['node', 'fast'] as const) {
        const { port, recorder } = await lab.start({ ...c.options, engine });
        const talk = await converse(port, c.send, { responses: c.responses ?? 1, linger: c.responses === 0 ? 100 : 50 });
        await connClosed(recorder);
        got[engine] = { talk, recorder };
      }
      const node = got.node as { talk: Conversation; recorder: Recorder };
      const fast = got.fast as { talk: Conversation; recorder: Recorder };
      // HEAD: no body after a content-length (the wire is compared below, not parsed).
      expect(fast.talk.responses.length).toBe(c.responses ?? 1);
      expect(fast.talk.responses.length).toBe(node.talk.responses.length);
      for (const [i, n] of node.talk.responses.entries()) {
        const f = fast.talk.responses[i];
        expect(f?.statusLine).toBe(n.statusLine);
        expect(f && comparable(f, fast.talk.localPort)).toEqual(comparable(n, node.talk.localPort));
        expect(f?.body.equals(n.body)).toBe(true);
      }
      // Byte for byte, once Date and the port are masked.
      const mask = (t: Conversation) => t.raw.replace(/Date: [^\r]+/g, 'Date: -').replace(new RegExp(`: ${t.localPort}\r`, 'g'), ': -\r');
      expect(mask(fast.talk)).toBe(mask(node.talk));
      if (c.nodeLingers === true) {
        expect(fast.talk.closed).toBe(true);
        const ends = (r: Recorder) => comparableEvents(r).filter((e) => e.event !== 'conn-close');
        expect(ends(fast.recorder)).toEqual(ends(node.recorder));
        expect(fast.recorder.events.at(-1)).toMatchObject({ event: 'conn-close', reason: 'max-requests', requests: 2 });
        return;
      }
      expect(fast.talk.closed).toBe(node.talk.closed);
      expect(comparableEvents(fast.recorder)).toEqual(comparableEvents(node.recorder));
    });
  }
});
