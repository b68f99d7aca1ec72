import { describe, expect, it } from 'vitest';
import { Recorder, type LabEvent } from '../src/index.js';

describe('Recorder', () => {
  it('keeps events in the order recorded, origin requests (stored as columns) among the others', () => {
    const r = new Recorder();
    r.record({ event: 'conn-open', source: 'origin', t: 1, origin: 'o', conn: 1, remotePort: 5000 });
    r.originRequest('o', 'r1', 1, 5000, 1, 'GET', 0);
    r.originRequest('o', null, 1, null, 2, 'POST', 14);
    r.record({ event: 'conn-close', source: 'origin', t: 9, origin: 'o', conn: 1, remotePort: 5000, requests: 2, reason: 'idle-timeout' });
    const events = r.events;
    expect(events.map((e) => e.event)).toEqual(['conn-open', 'request', 'request', 'conn-close']);
    expect(events[1]).toMatchObject({
      source: 'origin',
      origin: 'o',
      id: 'r1',
      conn: 1,
      remotePort: 5000,
      nth: 1,
      method: 'GET',
      bytes: 0,
    });
    expect(events[2]).toMatchObject({ id: null, remotePort: null, nth: 2, method: 'POST', bytes: 14 });
    expect((events[1]?.t ?? -1) >= 0).toBe(true);
    expect(r.events).toBe(events); // built once until something new is recorded
    r.originRequest('o', 'r3', 2, 5001, 1, 'GET', 0);
    expect(r.events).toHaveLength(5);
  });

  it('hands listeners a whole event object, and keeps nothing with keep: false', () => {
    const r = new Recorder({ keep: false });
    const seen: LabEvent[] = [];
    const off = r.on((e) => seen.push(e));
    r.originRequest('o', 'r1', 3, 6000, 4, 'GET', 0);
    off();
    r.originRequest('o', 'r2', 3, 6000, 5, 'GET', 0);
    expect(seen).toMatchObject([{ event: 'request', id: 'r1', conn: 3, remotePort: 6000, nth: 4 }]);
    expect(r.events).toEqual([]);
  });

  it('gives every id back exactly, compact or not', () => {
    const r = new Recorder();
    const ids = ['r1', 'r0', 'r01', 'req-42', '7', `${'x'.repeat(30)}1`, 'abc', 'R999999999999999', 'weird id 3', null];
    for (const [i, id] of ids.entries()) r.originRequest('o', id, 1, 4000 + i, i + 1, 'GET', 0);
    expect(r.events.map((e) => (e.event === 'request' ? e.id : undefined))).toEqual(ids);
    expect(r.events.map((e) => (e.event === 'request' ? e.remotePort : undefined))).toEqual(ids.map((_, i) => 4000 + i));
  });

  it('keeps 10,000 request events exactly, in order', () => {
    const r = new Recorder();
    for (let i = 1; i <= 10_000; i++) r.originRequest(i % 2 ? 'a' : 'b', `r${i}`, i, i, 1, i % 3 ? 'GET' : 'POST', i);
    const last = r.events[9_999];
    expect(last).toMatchObject({ id: 'r10000', origin: 'b', conn: 10_000, remotePort: 10_000, method: 'GET', bytes: 10_000 });
    expect(r.events[4096]).toMatchObject({ id: 'r4097', origin: 'a', method: 'GET' });
  });
});
