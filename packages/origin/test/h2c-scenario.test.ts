import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:http2';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Recorder } from '@keepalive-lab/core';
// The scenarios package depends on this one, not the other way round: reached by path, for its loader and topology only.
import { loadScenario } from '../../scenarios/src/index.js';
import { startTopology } from '../../scenarios/src/topology.js';
import { h2request } from './h2c-fixtures.js';

// `origins[].protocol: h2c` in a scenario file: taken, and its HTTP/1.1-only fields refused at load, naming the path.

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lab-h2c-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function load(origins: string, sets: string[] = []) {
  const file = join(dir, `s${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, `name: x\ntitle: h2c origin\norigins:\n${origins}`);
  return { file, result: await loadScenario(file, sets) };
}

describe('scenario origins[].protocol', () => {
  it('defaults to http/1.1 and takes h2c with the idle timeout and the request cap', async () => {
    const { result } = await load(
      '  - { keepAliveTimeout: 2s }\n  - { name: b, protocol: h2c, keepAliveTimeout: 1s, maxRequestsPerSocket: 3 }\n',
    );
    if (!result.ok) throw result.error;
    expect(result.value.scenario.origins.map((o) => [o.protocol, o.keepAliveTimeout, o.maxRequestsPerSocket])).toEqual([
      ['http/1.1', 2000, 0],
      ['h2c', 1000, 3],
    ]);
  });

  it("a run's topology starts the origin as h2c", async () => {
    const { result } = await load('  - { protocol: h2c }\n');
    if (!result.ok) throw result.error;
    const recorder = new Recorder();
    const topology = await startTopology(result.value.scenario, recorder);
    try {
      const session = connect(`http://127.0.0.1:${topology.originPorts[0]}`);
      await once(session, 'connect');
      const reply = await h2request(session, { id: 'via-topology' });
      session.close();
      expect(reply).toMatchObject({ status: 200, headers: { 'x-lab-origin-nth': '1' } });
    } finally {
      await topology.close();
    }
    expect(recorder.events.filter((e) => e.event === 'request')).toMatchObject([{ id: 'via-topology', nth: 1 }]);
  });

  it('refuses a fault with h2c, naming the path', async () => {
    const { file, result } = await load('  - { protocol: h2c, faults: { resetMidResponse: true } }\n');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.message).toBe(
      `${file}: origins.0.faults.resetMidResponse: expected false (HTTP/1.1 only; protocol h2c), found true`,
    );
  });

  it('refuses every HTTP/1.1-only field set with h2c, each at its path', async () => {
    const { result } = await load(
      '  - { name: a }\n' +
        '  - { name: b, protocol: h2c, keepAlive: false, keepAliveHint: false, closeWindow: 50ms, ' +
        'faults: { dropOnReuse: true, silent: true, downFor: 1s } }\n',
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const lines = result.error.message.split('\n').slice(1);
    expect(lines).toEqual([
      '  origins.1.keepAlive: expected true (HTTP/1.1 only; protocol h2c), found false',
      '  origins.1.keepAliveHint: expected true (HTTP/1.1 only; protocol h2c), found false',
      '  origins.1.closeWindow: expected 0 (HTTP/1.1 only; protocol h2c), found "50ms"',
      '  origins.1.faults.dropOnReuse: expected false (HTTP/1.1 only; protocol h2c), found true',
      '  origins.1.faults.silent: expected false (HTTP/1.1 only; protocol h2c), found true',
      '  origins.1.faults.downFor: expected 0 (HTTP/1.1 only; protocol h2c), found "1s"',
    ]);
  });

  it('refuses h2c set by --set on an origin with a fault, and an unknown protocol', async () => {
    const withFault = await load('  - { faults: { silent: true } }\n', ['origins.0.protocol=h2c']);
    expect(withFault.result.ok).toBe(false);
    if (!withFault.result.ok)
      expect(withFault.result.error.message).toContain('origins.0.faults.silent: expected false (HTTP/1.1 only; protocol h2c)');

    const h3 = await load('  - { protocol: h3 }\n');
    expect(h3.result.ok).toBe(false);
    if (!h3.result.ok) expect(h3.result.error.message).toBe(`${h3.file}: origins.0.protocol: expected one of http/1.1, h2c, found "h3"`);
  });
});
