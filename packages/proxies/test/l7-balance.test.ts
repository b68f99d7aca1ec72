import { describe, expect } from 'vitest';
import { ok, type FakeOrigin } from './helpers/l7-fake-origin.js';
import { ENGINES, get, l7Test as test, type L7Lab } from './helpers/l7-fixture.js';
import type { RawClient } from './helpers/l7-raw-client.js';

async function threeOrigins(lab: L7Lab): Promise<FakeOrigin[]> {
  return Promise.all(['a', 'b', 'c'].map((name) => lab.origin((r) => (r.target === '/hold' ? { silent: true } : ok(name)))));
}

/** Sends `n` requests one after another on one connection; returns which origin answered each. */
async function sequence(c: RawClient, n: number, prefix: string): Promise<string[]> {
  const answered: string[] = [];
  for (let i = 0; i < n; i++) {
    c.write(get(`${prefix}${i}`));
    answered.push((await c.response()).body);
  }
  return answered;
}

describe.each(ENGINES)('%s per-request balancing', (kind) => {
  test.scoped({ kind });
  test('round-robin (default) spreads one keep-alive connection evenly over three origins', async ({ lab }) => {
    const origins = await threeOrigins(lab);
    const proxy = await lab.proxy(origins);
    const c = await lab.client(proxy);
    expect(await sequence(c, 9, 'rr')).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a', 'b', 'c']);
    expect(origins.map((o) => o.requests.length)).toEqual([3, 3, 3]);
    // One pooled connection per origin, reused.
    expect(origins.map((o) => o.conns.length)).toEqual([1, 1, 1]);
    expect(proxy.stats()).toMatchObject({ upstreamConnections: 3, upstreamReuses: 6 });
  });

  test('sticky keeps a client connection on its last server; a new connection picks the next one', async ({ lab }) => {
    const origins = await threeOrigins(lab);
    const proxy = await lab.proxy(origins, { balance: 'sticky' });
    const first = await lab.client(proxy);
    expect(await sequence(first, 6, 's1-')).toEqual(['a', 'a', 'a', 'a', 'a', 'a']);
    const second = await lab.client(proxy);
    expect(await sequence(second, 3, 's2-')).toEqual(['b', 'b', 'b']);
    expect(origins.map((o) => o.requests.length)).toEqual([6, 3, 0]);
  });

  test('least-outstanding avoids the origin still busy with a request', async ({ lab }) => {
    const origins = await threeOrigins(lab);
    const proxy = await lab.proxy(origins, { balance: 'least', upstreamTimeout: 5000 });
    const busy = await lab.client(proxy);
    busy.write(get('hold', '/hold'));
    await origins[0]?.waitForRequests(1);
    const c = await lab.client(proxy);
    const answered = await sequence(c, 4, 'least');
    expect(answered).not.toContain('a');
    expect(answered.filter((x) => x === 'b')).toHaveLength(2);
    expect(answered.filter((x) => x === 'c')).toHaveLength(2);
    // With round-robin the same traffic would have queued behind the busy origin.
    expect(origins[0]?.requests).toHaveLength(1);
  });

  test('least: a request whose client left stops counting as in flight, so its origin is picked again', async ({ lab }) => {
    const origins = await threeOrigins(lab);
    const proxy = await lab.proxy(origins, { balance: 'least', upstreamTimeout: 5000 });
    const gone = await lab.client(proxy);
    gone.write(get('hold', '/hold'));
    await origins[0]?.waitForRequests(1);
    expect([0, 1, 2].map((t) => proxy.balancer.inFlight(t))).toEqual([1, 0, 0]);
    gone.destroy();
    expect((await lab.waitEvent('upstream-close')).reason).toBe('client-closed');
    await expect.poll(() => proxy.balancer.inFlight(0)).toBe(0);
    const c = await lab.client(proxy);
    // All idle again: ties go round-robin from where the last pick left the cursor.
    expect(await sequence(c, 3, 'after')).toEqual(['b', 'c', 'a']);
  });

  test('every request counted in flight is finished once: pipelined, refused and answered requests leave 0 behind', async ({ lab }) => {
    const origins = await threeOrigins(lab);
    const proxy = await lab.proxy(origins, { balance: 'least' });
    const piped = await lab.client(proxy);
    piped.write(get('p1') + get('p2') + get('p3'));
    const answers = [await piped.response(), await piped.response(), await piped.response()];
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
    // Refused by the proxy (no Host in HTTP/1.1): never counted on a target.
    const refused = await lab.client(proxy);
    refused.write('GET / HTTP/1.1\r\n\r\n');
    expect((await refused.response()).status).toBe(400);
    // A response is finished for the balancer once it is all out, a moment after the client has it.
    await expect.poll(() => [0, 1, 2].map((t) => proxy.balancer.inFlight(t))).toEqual([0, 0, 0]);
    expect(origins.map((o) => o.requests.length)).toEqual([1, 1, 1]);
  });

  test('round-robin, by contrast, still sends to the busy origin', async ({ lab }) => {
    const origins = await threeOrigins(lab);
    const proxy = await lab.proxy(origins, { upstreamTimeout: 5000 });
    const busy = await lab.client(proxy);
    busy.write(get('hold', '/hold'));
    await origins[0]?.waitForRequests(1);
    const c = await lab.client(proxy);
    expect(await sequence(c, 3, 'rr')).toEqual(['b', 'c', 'a']);
    // The busy origin's pooled socket was in use: a second connection was opened to it.
    expect(origins[0]?.conns).toHaveLength(2);
  });
});
