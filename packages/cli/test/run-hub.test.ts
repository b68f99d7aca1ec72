import { describe, expect, it } from 'vitest';
import type { RunEvent } from '@keepalive-lab/scenarios';
import { runHub } from '../src/live/run-hub.js';

const tick: RunEvent = { type: 'tick', t: 200, variant: null, done: 3, total: 10, waitingFor: 'answers' };
const request = { type: 'request', t: 210, record: {}, done: 4, total: 10 } as unknown as RunEvent;
const event = { type: 'event', t: 211, event: {} } as unknown as RunEvent;

describe('the run hub', () => {
  it('asks the run for detail only while a subscriber wants it, and sends a ticks-only subscriber no detail', () => {
    const hub = runHub();
    expect(hub.follower()).toBeNull();
    const line: string[] = [];
    const page: string[] = [];
    const offLine = hub.subscribe((p) => line.push(p.type), { detail: false });
    expect(hub.follower()?.detail).toBe(false);
    const offPage = hub.subscribe((p) => page.push(p.type));
    const follower = hub.follower();
    expect(follower?.detail).toBe(true);
    for (const p of [tick, request, event]) follower?.emit(p);
    expect(line).toEqual(['tick']);
    expect(page).toEqual(['tick', 'request', 'event']);
    offPage();
    expect(hub.follower()?.detail).toBe(false);
    offLine();
    expect(hub.follower()).toBeNull();
  });
});
