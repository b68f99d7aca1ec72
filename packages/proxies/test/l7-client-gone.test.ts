import { once } from 'node:events';
import { describe, expect } from 'vitest';
import { ok, type Responder } from './helpers/l7-fake-origin.js';
import { ENGINES, get, l7Test as test, type L7Engine, type L7Lab } from './helpers/l7-fixture.js';
import type { RawClient } from './helpers/l7-raw-client.js';

/** A request head cut short: no blank line, the last field half written. */
const PARTIAL_HEAD = 'GET /partial HTTP/1.1\r\nHost: lab\r\nx-lab-request-id: cut\r\nX-Half: ';

/** A keep-alive client that must be served throughout: one request and its 200, on the same connection every time. */
async function served(keep: RawClient, id: string): Promise<void> {
  keep.write(get(id, `/${id}`));
  const res = await keep.response({ within: 2000 });
  expect(res.status).toBe(200);
  expect(res.body).toBe(`/${id}`);
  expect(keep.ended).toBe(false);
}

/** The proxy's record of one client connection's close. */
function closeOf(lab: L7Lab, c: RawClient) {
  return lab.waitEvent('client-close', (e) => e.clientPort === c.localPort);
}

/** Waits for the client socket's 'close': everything the proxy wrote has been read by then. */
async function readUntilClose(c: RawClient): Promise<string> {
  if (!c.closed) await once(c.socket, 'close');
  return c.received;
}

/** A proxy (deadlines far away: nothing here may be a 408 or 504) and a keep-alive client it has served once. */
async function healthyLab(lab: L7Lab, answer: Responder = (r) => ok(r.target)): Promise<{ proxy: L7Engine; keep: RawClient }> {
  const origin = await lab.origin(answer);
  const proxy = await lab.proxy([origin], { headerTimeout: 5000, upstreamTimeout: 5000 });
  const keep = await lab.client(proxy);
  await served(keep, 'k1');
  return { proxy, keep };
}

/**
 * A client that is gone mid-request (its FIN or reset in the middle of a
 * head or body) is not answered: node's http server reports the FIN as a
 * clientError HPE_INVALID_EOF_STATE, and a 400 written then reaches nobody
 * (l7-kit/errors-responses.ts, clientHearsAnswer). A malformed request on a
 * live connection still gets its 400 and the connection closes.
 */
describe.each(ENGINES)('%s clients gone mid-request', (kind) => {
  test.scoped({ kind });

  test('a partial head then FIN: nothing written back, the close is the client’s (peer-closed), others served throughout', async ({
    lab,
  }) => {
    const { proxy, keep } = await healthyLab(lab);
    const c = await lab.client(proxy);
    c.write(PARTIAL_HEAD);
    await served(keep, 'k2');
    c.socket.end(); // FIN; the client still reads until the proxy closes
    const received = await readUntilClose(c);
    expect(received).toBe('');
    expect((await closeOf(lab, c)).reason).toBe('peer-closed');
    await served(keep, 'k3');
    expect(lab.events('reject')).toEqual([]);
    expect(proxy.stats()).toMatchObject({ rejects: 0, clientConnections: 2, openClientConnections: 1 });
    // Only the healthy client's requests went upstream.
    expect(lab.events('forward').map((e) => e.id)).toEqual(['k1', 'k2', 'k3']);
  });

  test('a partial body then FIN: nothing written back, peer-closed, and the upstream exchange is abandoned', async ({ lab }) => {
    const { proxy, keep } = await healthyLab(lab, (r) => (r.method === 'POST' ? { silent: true } : ok(r.target)));
    const c = await lab.client(proxy);
    c.write('POST /up HTTP/1.1\r\nHost: lab\r\nx-lab-request-id: body\r\nContent-Length: 10\r\n\r\nabc');
    await lab.waitEvent('forward', (e) => e.id === 'body');
    c.socket.end();
    expect(await readUntilClose(c)).toBe('');
    expect((await closeOf(lab, c)).reason).toBe('peer-closed');
    expect((await lab.waitEvent('upstream-close', (e) => e.reason === 'client-closed')).reason).toBe('client-closed');
    await served(keep, 'k2');
    expect(lab.events('reject')).toEqual([]);
    expect(proxy.stats().rejects).toBe(0);
  });

  test('a partial head then reset: recorded as peer-reset, no reject, others served', async ({ lab }) => {
    const { proxy, keep } = await healthyLab(lab);
    const c = await lab.client(proxy);
    c.write(PARTIAL_HEAD);
    await served(keep, 'k2');
    c.socket.resetAndDestroy();
    expect((await closeOf(lab, c)).reason).toBe('peer-reset');
    await served(keep, 'k3');
    expect(lab.events('reject')).toEqual([]);
    expect(proxy.stats().rejects).toBe(0);
  });

  test('a malformed request on a live connection still gets 400 with Connection: close, and others are served', async ({ lab }) => {
    const { proxy, keep } = await healthyLab(lab);
    const c = await lab.client(proxy);
    c.write('GET /bad HTTP/1.1\r\nHost lab\r\n\r\n'); // no colon: HPE_INVALID_HEADER_TOKEN
    const res = await c.response({ within: 2000 });
    expect(res.status).toBe(400);
    expect(res.field('connection')).toBe('close');
    await c.waitClosed();
    expect((await closeOf(lab, c)).reason).toBe('connection-close');
    expect(lab.events('reject')).toEqual([expect.objectContaining({ status: 400, why: 'HPE_INVALID_HEADER_TOKEN' })]);
    await served(keep, 'k2');
    expect(proxy.stats()).toMatchObject({ rejects: 1, openClientConnections: 1 });
  });
});
