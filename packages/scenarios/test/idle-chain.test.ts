import { describe, expect, it } from 'vitest';
import { idleChain, scenarioSchema } from '../src/index.js';

const scenario = (extra: Record<string, unknown>) => scenarioSchema.parse({ name: 'x', title: 'x', ...extra });

describe('the idle-timeout chain of a scenario', () => {
  it('marks the link where the front hop idles longer than the back one, the origin hint applied to a pool that honours it', () => {
    const honoured = idleChain(scenario({ origins: [{ keepAliveTimeout: '2s' }], proxy: { kind: 'l7' } }));
    expect(honoured.hops.map((h) => [h.name, h.clientSide, h.upstream])).toEqual([
      ['client', null, Infinity],
      ['l7', 61_000, 1_000], // pool: the origin's hint (2 s) − the 1 s margin
      ['origin', 3_000, null], // keepAliveTimeout + Node's 1 s
    ]);
    expect(honoured.links.map((l) => [l.front, l.back, l.risky])).toEqual([
      ['client', 'l7', true],
      ['l7', 'origin', false],
    ]);
    // The same pool ignoring the hint keeps sockets 30 s against an origin closing at 3 s: the race.
    const ignored = idleChain(scenario({ origins: [{ keepAliveTimeout: '2s' }], proxy: { kind: 'l7', keepAliveHint: false } }));
    expect(ignored.links[1]?.risky).toBe(true);
    // An origin that closes at its timeout (idleCloseBuffer 0) gives the pool less room.
    const strict = idleChain(
      scenario({
        origins: [{ keepAliveTimeout: '2s', idleCloseBuffer: '0ms' }],
        proxy: { kind: 'l7', poolIdleTimeout: '2500ms', keepAliveHint: false },
      }),
    );
    expect(strict.hops.at(-1)?.clientSide).toBe(2_000);
    expect(strict.links[1]?.risky).toBe(true);
  });

  it('a chain: nginx (upstream pool 60 s) in front of l7 (client side 61 s) holds; reversed timeouts do not', () => {
    const ok = idleChain(scenario({ proxies: [{ kind: 'nginx' }, { kind: 'l7' }] }));
    expect(ok.links.map((l) => `${l.front}→${l.back}:${String(l.risky)}`)).toEqual([
      'client→nginx:true',
      'nginx→l7:false',
      'l7→origin:false',
    ]);
    const bad = idleChain(scenario({ proxies: [{ kind: 'nginx', keepaliveTimeout: '90s' }, { kind: 'l7' }] }));
    expect(bad.links[1]?.risky).toBe(true);
  });
});
