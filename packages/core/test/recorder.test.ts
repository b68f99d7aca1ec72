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
    expect(events[1]).toMatchObject({ source: 'origin', origin: 'o', id: 'r1', conn: 1, remotePort: 5000, nth: 1, method: 'GET', bytes: 0 });
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
});
