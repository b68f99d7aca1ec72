import { describe, expect } from 'vitest';
import { ok } from './helpers/l7-fake-origin.js';
import { ENGINES, get, l7Test as test, type L7Lab } from './helpers/l7-fixture.js';

/**
 * When the pool drops a socket the origin announced `Keep-Alive: timeout=2`
 * for: 2 s minus keepAliveHintMargin after it was released. Both engines
 * hand the hint to the kit's pool (l7-kit/keep-alive-hint.ts decides), so
 * both are held to the same times.
 * Timed on the recorder's clock from the `forward` event (the request leaving
 * on that socket; the fake origin answers at once, so the release follows
 * within a few ms) to `upstream-close`.
 */
const HINT_S = 2;
/** The pool's own idle timeout, far beyond the hint: it must never be what drops the socket here. */
const POOL_IDLE_MS = 10_000;
/** Room for a late timer on a loaded 2-core machine; a socket is never dropped early. */
const LATE_MS = 400;

interface Pooling {
  /** The origin's Keep-Alive field value. */
  keepAlive?: string;
  poolIdleTimeout?: number;
}

/** One request through a proxy with `margin`; how long after the forward the pooled socket closed, and why. */
async function pooledFor(
  lab: L7Lab,
  margin: number,
  { keepAlive = `timeout=${HINT_S}`, poolIdleTimeout = POOL_IDLE_MS }: Pooling = {},
): Promise<{ ms: number; reason: string; originClosed: boolean; openUpstream: number }> {
  const origin = await lab.origin((r) => ok(`nth=${r.nth}`, `Keep-Alive: ${keepAlive}\r\n`));
  const proxy = await lab.proxy([origin], { keepAliveHint: true, keepAliveHintMargin: margin, poolIdleTimeout });
  const c = await lab.client(proxy);
  c.write(get('h1'));
  expect((await c.response()).status).toBe(200);
  const forward = await lab.waitEvent('forward', (e) => e.id === 'h1');
  const close = await lab.waitEvent('upstream-close');
  // The proxy closed it: the origin's socket sees the end.
  await origin.waitForClosed(1);
  return {
    ms: close.t - forward.t,
    reason: close.reason,
    originClosed: origin.conns[0]?.closed ?? false,
    openUpstream: proxy.stats().openUpstreamSockets,
  };
}

describe.each(ENGINES)('%s pool: Keep-Alive: timeout=2 less keepAliveHintMargin', (kind) => {
  test.scoped({ kind });

  test('margin 1500 ms: the pooled socket is dropped ~500 ms after release, for the hint', async ({ lab }) => {
    const { ms, reason, originClosed, openUpstream } = await pooledFor(lab, 1500);
    expect(reason).toBe('keep-alive-hint');
    expect(ms).toBeGreaterThanOrEqual(HINT_S * 1000 - 1500 - 5);
    expect(ms).toBeLessThan(HINT_S * 1000 - 1500 + LATE_MS);
    expect(originClosed).toBe(true);
    expect(openUpstream).toBe(0);
  });

  test('margin 500 ms: dropped ~1500 ms after release', async ({ lab }) => {
    const { ms, reason } = await pooledFor(lab, 500);
    expect(reason).toBe('keep-alive-hint');
    expect(ms).toBeGreaterThanOrEqual(HINT_S * 1000 - 500 - 5);
    expect(ms).toBeLessThan(HINT_S * 1000 - 500 + LATE_MS);
  });

  test('a margin as long as the hint: the socket is not pooled at all', async ({ lab }) => {
    const { ms, reason } = await pooledFor(lab, HINT_S * 1000);
    expect(reason).toBe('keep-alive-hint');
    expect(ms).toBeLessThan(LATE_MS);
  });

  test('the timeout parameter is found among others (`max=100, timeout=2`)', async ({ lab }) => {
    const { ms, reason } = await pooledFor(lab, 1500, { keepAlive: `max=100, timeout=${HINT_S}` });
    expect(reason).toBe('keep-alive-hint');
    expect(ms).toBeGreaterThanOrEqual(HINT_S * 1000 - 1500 - 5);
    expect(ms).toBeLessThan(HINT_S * 1000 - 1500 + LATE_MS);
  });

  test("a pool idle timeout shorter than the hint less its margin wins, and says so: 'pool-idle-timeout'", async ({ lab }) => {
    const { ms, reason } = await pooledFor(lab, 500, { poolIdleTimeout: 300 });
    expect(reason).toBe('pool-idle-timeout');
    expect(ms).toBeGreaterThanOrEqual(300 - 5);
    expect(ms).toBeLessThan(300 + LATE_MS);
  });

  test('a response without a hint leaves the earlier one standing on that socket', async ({ lab }) => {
    const origin = await lab.origin((r) => ok(`nth=${r.nth}`, r.nth === 1 ? `Keep-Alive: timeout=${HINT_S}\r\n` : ''));
    const proxy = await lab.proxy([origin], { keepAliveHintMargin: 1500, poolIdleTimeout: POOL_IDLE_MS });
    const c = await lab.client(proxy);
    c.write(get('k1'));
    await c.response();
    c.write(get('k2'));
    expect((await c.response()).body).toBe('nth=2');
    const forward = await lab.waitEvent('forward', (e) => e.id === 'k2');
    const close = await lab.waitEvent('upstream-close');
    expect(close.reason).toBe('keep-alive-hint');
    expect(close.t - forward.t).toBeLessThan(HINT_S * 1000 - 1500 + LATE_MS);
    expect(origin.conns).toHaveLength(1);
  });

  test('an origin that closes despite its hint: the socket is never pooled, reason connection-close', async ({ lab }) => {
    const origin = await lab.origin((r) => ok(`nth=${r.nth}`, `Keep-Alive: timeout=${HINT_S}\r\nConnection: close\r\n`));
    const proxy = await lab.proxy([origin], { keepAliveHintMargin: 1500, poolIdleTimeout: POOL_IDLE_MS });
    const c = await lab.client(proxy);
    c.write(get('x1'));
    expect((await c.response()).status).toBe(200);
    expect((await lab.waitEvent('upstream-close')).reason).toBe('connection-close');
    c.write(get('x2'));
    expect((await c.response()).body).toBe('nth=1');
    expect(origin.conns).toHaveLength(2);
    expect(proxy.stats()).toMatchObject({ upstreamReuses: 0, upstreamConnections: 2 });
  });

  test('still pooled inside the window: a request 250 ms after release reuses the socket (margin 1500 ms)', async ({ lab }) => {
    const origin = await lab.origin((r) => ok(`nth=${r.nth}`, `Keep-Alive: timeout=${HINT_S}\r\n`));
    const proxy = await lab.proxy([origin], { keepAliveHintMargin: 1500, poolIdleTimeout: POOL_IDLE_MS });
    const c = await lab.client(proxy);
    c.write(get('w1'));
    await c.response();
    await new Promise((r) => setTimeout(r, 250));
    c.write(get('w2'));
    expect((await c.response()).body).toBe('nth=2');
    expect(origin.conns).toHaveLength(1);
    expect(lab.events('upstream-close')).toEqual([]);
  });
});
