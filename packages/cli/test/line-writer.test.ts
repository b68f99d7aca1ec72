import { Writable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { lineWriter } from '../src/ndjson.js';

/** A stdout that keeps each write as it came: the number of writes is the number of write(2) calls on a real one. */
function countingOut(): { out: Writable; writes: string[] } {
  const writes: string[] = [];
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      writes.push(chunk.toString());
      done();
    },
  });
  return { out, writes };
}

describe('lineWriter (the server commands’ stdout)', () => {
  it('sends the lines of one event-loop turn in one write, in order, at the next turn', async () => {
    const { out, writes } = countingOut();
    const lines = lineWriter(out);
    for (let i = 1; i <= 100; i++) lines.line(`request ${i}`);
    expect(writes).toEqual([]);

    await nextTurn();

    expect(writes).toHaveLength(1);
    expect(writes[0]?.split('\n')).toEqual([...Array.from({ length: 100 }, (_, i) => `request ${i + 1}`), '']);
  });

  it('flush() writes what is pending at once, and the scheduled turn then writes nothing more', async () => {
    const { out, writes } = countingOut();
    const lines = lineWriter(out);
    lines.line('a');
    lines.line('b');
    lines.flush();
    expect(writes).toEqual(['a\nb\n']);

    await nextTurn();
    lines.line('c');
    await nextTurn();

    expect(writes).toEqual(['a\nb\n', 'c\n']);
  });
});
