import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { LabError } from '@keepalive-lab/core';
import { createProxy } from '../src/create-proxy.js';
import { l7 } from '../src/kinds/l7.js';
import { l7Fast } from '../src/kinds/l7-fast.js';
import { createL7Proxy } from '../src/l7/index.js';
import { createL7FastProxy } from '../src/l7-fast/index.js';

const targets = [{ host: '127.0.0.1', port: 1 }];
const NO_H2C = 'l7-fast speaks HTTP/1.1 upstream; use kind l7 for upstreamProtocol h2c';

async function refusal(p: Promise<unknown>): Promise<LabError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LabError);
  return err as LabError;
}

describe('upstreamProtocol knob', () => {
  test("l7 takes it: http/1.1 or h2c, nothing else (the scenario's schema)", () => {
    const knobs = z.object(l7.knobs).strict();
    expect(knobs.safeParse({ upstreamProtocol: 'h2c' }).success).toBe(true);
    expect(knobs.safeParse({ upstreamProtocol: 'http/1.1' }).success).toBe(true);
    expect(knobs.safeParse({ upstreamProtocol: 'h3' }).success).toBe(false);
    expect(l7.knobs.upstreamProtocol?.description).toMatch(/h2c/);
  });

  test('l7-fast refuses h2c by name: at scenario load (its knob schema), at create, and built directly', async () => {
    const knobs = z.object(l7Fast.knobs).strict();
    const r = knobs.safeParse({ upstreamProtocol: 'h2c' });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toBe(NO_H2C);
    expect(r.error?.issues[0]?.path).toEqual(['upstreamProtocol']);
    expect(knobs.safeParse({ upstreamProtocol: 'http/1.1' }).success).toBe(true);

    const atCreate = await refusal(createProxy('l7-fast', { upstreamProtocol: 'h2c' }, { targets }));
    expect(atCreate.message).toBe(NO_H2C);
    expect(atCreate.details.path).toBe('upstreamProtocol');
    expect(() => createL7FastProxy({ targets, upstreamProtocol: 'h2c' })).toThrow(NO_H2C);
  });

  test.each([
    ['maxSockets', 5],
    ['maxIdleSockets', 2],
    ['keepAliveHint', false],
    ['keepAliveHintMargin', 500],
  ])('l7 refuses %s with h2c, by name (no pool to size, no Keep-Alive hint)', async (knob, value) => {
    const err = await refusal(createProxy('l7', { upstreamProtocol: 'h2c', [knob]: value }, { targets }));
    expect(err.details.path).toBe(knob);
    expect(err.message).toMatch(new RegExp(`^l7 proxy option ${knob}: expected unset with upstreamProtocol h2c`));
    // The same knob is fine on the HTTP/1.1 path.
    const ok = createL7Proxy({ targets, [knob]: value });
    await ok.close();
  });

  test('poolIdleTimeout, upstreamTimeout and retryStale are taken with h2c', async () => {
    const p = createL7Proxy({ targets, upstreamProtocol: 'h2c', poolIdleTimeout: 1000, upstreamTimeout: 1000, retryStale: false });
    expect(p.options.upstreamProtocol).toBe('h2c');
    await p.close();
  });

  test('an unknown protocol is refused by name', () => {
    expect(() => createL7Proxy({ targets, upstreamProtocol: 'h3' as 'h2c' })).toThrow(
      /upstreamProtocol: expected http\/1\.1 \| h2c, found h3/,
    );
  });

  test("l7's idle chain with h2c: the session idle timeout, no hint margin", () => {
    expect(l7.idle?.({ upstreamProtocol: 'h2c', poolIdleTimeout: 5000 })).toEqual({ clientSide: 61_000, upstream: 5000 });
    expect(l7.idle?.({})).toMatchObject({ hintMargin: 1000 });
  });
});
