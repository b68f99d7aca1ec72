import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROXY_KINDS } from '@keepalive-lab/proxies';
import { findScenario, listScenarioFiles, loadScenario, scenarioRuns } from '../src/index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lab-scenarios-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const good = `name: t\ntitle: T\norigins:\n  - name: origin\n    keepAliveTimeout: 2s\nclient:\n  requests: 20\n  maxSockets: 5\n`;

async function write(name: string, text: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

async function errorOf(text: string, sets: string[] = []) {
  const file = await write(`s${Math.random().toString(36).slice(2)}.yaml`, text);
  const r = await loadScenario(file, sets);
  if (r.ok) throw new Error('expected the scenario to be refused');
  return { file, error: r.error };
}

describe('scenario files', () => {
  it('every shipped scenario is valid', async () => {
    const files = await listScenarioFiles();
    expect(files.length).toBeGreaterThanOrEqual(7);
    for (const f of files) {
      const r = await loadScenario(f);
      expect(r.ok ? 'ok' : r.error.message).toBe('ok');
      if (r.ok) expect(`${r.value.scenario.name}.yaml`).toBe(f.split('/').pop());
    }
  });

  it('parses durations into ms once, at load', async () => {
    const r = await loadScenario(await write('good.yaml', good));
    expect(r.ok && r.value.scenario.origins[0]?.keepAliveTimeout).toBe(2000);
    expect(r.ok && r.value.scenario.client.timeout).toBe(60_000);
  });

  it('origins[].engine: fast loads, and refuses what rests on node:http (faults, closeWindow, h2c), naming each field', async () => {
    const r = await loadScenario(await write('fast.yaml', good), ['origins.0.engine=fast']);
    expect(r.ok && r.value.scenario.origins[0]?.engine).toBe('fast');
    const d = await loadScenario(await write('default.yaml', good));
    expect(d.ok && d.value.scenario.origins[0]?.engine).toBe('node');
    const { error } = await errorOf(good, ['origins.0.engine=fast', 'origins.0.closeWindow=50ms', 'origins.0.faults.silent=true']);
    expect(error.message).toContain("origins.0.closeWindow: expected 0 (node engine only; engine 'fast')");
    expect(error.message).toContain("origins.0.faults.silent: expected false (node engine only; engine 'fast')");
  });

  it('names the file, line and column of a YAML syntax error', async () => {
    const { file, error } = await errorOf('name: t\ntitle: [unclosed\n');
    expect(error.code).toBe('LAB_ERR_SCENARIO_INVALID');
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(new RegExp(`^${file}:\\d+:\\d+: not valid YAML`));
  });

  it('names an unknown key and suggests the near one', async () => {
    const { file, error } = await errorOf(good.replace('keepAliveTimeout', 'keepAliveTimout'));
    expect(error.message).toBe(
      `${file}: origins.0.keepAliveTimout: expected a known key (did you mean "keepAliveTimeout"?), found unknown key "keepAliveTimout"`,
    );
  });

  it('names a wrong type with what was expected and found', async () => {
    const { file, error } = await errorOf(good.replace('requests: 20', 'requests: twenty'));
    expect(error.message).toBe(`${file}: client.requests: expected a number, found "twenty"`);
  });

  it('refuses a negative count', async () => {
    const { error } = await errorOf(good.replace('maxSockets: 5', 'maxSockets: -1'));
    expect(error.message).toContain('client.maxSockets: expected a whole number ≥ 0, found -1');
  });

  it('refuses a duration with a space', async () => {
    const { error } = await errorOf(good.replace('keepAliveTimeout: 2s', 'keepAliveTimeout: 2 s'));
    expect(error.message).toContain('origins.0.keepAliveTimeout: expected a duration like 500ms, 2s or 1m, found "2 s"');
  });

  it('refuses an unknown proxy kind, listing the known ones', async () => {
    const { error } = await errorOf(`${good}proxy:\n  kind: l5\n`);
    expect(error.message).toContain(`proxy.kind: expected kind: one of ${PROXY_KINDS.join(', ')}, found "l5"`);
    expect(PROXY_KINDS).toEqual(
      expect.arrayContaining(['naive-l4', 'pipe-l4', 'l7', 'l7-fast', 'nginx', 'haproxy', 'haproxy-tcp', 'external']),
    );
  });

  it('refuses a knob the proxy kind does not have, naming the kind and the knobs it takes', async () => {
    const { error } = await errorOf(`${good}proxy:\n  kind: nginx\n  maxSockets: 5\n`);
    expect(error.message).toContain(
      'proxy.maxSockets: expected a knob of proxy kind nginx; nginx takes keepalive, keepaliveTimeout, directives, configFile, found unknown key "maxSockets"',
    );
  });

  it('applies --set through the same schema', async () => {
    const file = await write('set.yaml', good);
    const r = await loadScenario(file, ['origins.0.keepAliveTimeout=1s', 'client.requests=100', 'client.keepAlive=false']);
    expect(
      r.ok && [r.value.scenario.origins[0]?.keepAliveTimeout, r.value.scenario.client.requests, r.value.scenario.client.keepAlive],
    ).toEqual([1000, 100, false]);
  });

  it('names the --set that broke the schema', async () => {
    const { error } = await errorOf(good, ['origins.0.keepAliveTimeout=2 s']);
    expect(error.code).toBe('LAB_ERR_BAD_OVERRIDE');
    expect(error.message).toContain('--set origins.0.keepAliveTimeout=2 s: origins.0.keepAliveTimeout: expected a duration');
  });

  it('refuses a --set without =, and one into a missing list index', async () => {
    expect((await errorOf(good, ['client.requests'])).error.message).toContain('expected path=value');
    expect((await errorOf(good, ['origins.5.delay=1s'])).error.message).toContain('origins is a list of 1; expected an index from 0 to 0');
    expect((await errorOf(good, ['client.bogus=1'])).error.message).toContain('client.bogus: expected a known key');
  });

  it('lists known scenarios when a name is unknown', async () => {
    const r = await findScenario('keepalive-l5');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('LAB_ERR_SCENARIO_NOT_FOUND');
      expect(r.error.details.known).toContain('keepalive-l4');
    }
  });

  it('expands variants, each with its own overrides and checks', async () => {
    const file = await write(
      'v.yaml',
      `${good}expect:\n  - { metric: requests.ok, equals: 20 }\nvariants:\n` +
        '  - { name: a, set: { client.maxSockets: 1 }, expect: [{ metric: batches, equals: 2 }] }\n  - { name: b, set: { client.maxSockets: 0 } }\n',
    );
    const loaded = await loadScenario(file, ['client.requests=20']);
    if (!loaded.ok) throw loaded.error;
    const runs = scenarioRuns(loaded.value);
    if (!runs.ok) throw runs.error;
    expect(runs.value.map((r) => [r.variant?.name, r.scenario.client.maxSockets, r.scenario.expect.length])).toEqual([
      ['a', 1, 2],
      ['b', 0, 1],
    ]);
  });

  it('refuses a variant whose overrides break the schema, before running anything', async () => {
    const { error } = await errorOf(`${good}variants:\n  - { name: a, set: { client.maxSockets: many } }\n`);
    expect(error.message).toContain('(variant a)');
    expect(error.message).toContain('client.maxSockets: expected a number, found "many"');
  });

  it('refuses an expectation bound that names no number in the scenario', async () => {
    const { error } = await errorOf(`${good}expect:\n  - { metric: batches, equals: client.request / client.maxSockets }\n`);
    expect(error.message).toContain('expect.0.equals: client.request is not a number in this scenario');
  });

  // The issue-9 knobs: each bad one names the file and the path, and nothing runs.
  it.each([
    ['origins:\n  - closeWindow: -1s\n', 'origins.0.closeWindow: expected a duration like 500ms, 2s or 1m, found "-1s"'],
    ['proxies: []\n', 'proxies: expected at least one proxy (omit proxies: for none), found []'],
    ['client:\n  intervalSweep: { from: 2s, to: 1s }\n', 'client.intervalSweep: expected from ≤ to'],
    ['proxy: { kind: l7 }\nproxies: [{ kind: l7 }]\n', 'proxies: expected proxy: or proxies:, not both'],
    ['network:\n  localPortRange: [50000, 40000]\n', 'network.localPortRange: expected first ≤ last'],
  ])('refuses %j', async (body, message) => {
    const { file, error } = await errorOf(`name: x\ntitle: x\n${body}`);
    expect(error.message).toContain(`${file}: ${message}`);
    expect(error.exitCode).toBe(2);
  });

  it('an override blames itself, not the file, and cannot add a list element the file never had', async () => {
    const file = await write('over.yaml', good);
    const typo = await loadScenario(file, ['origin.keepAliveTimeout=2s']);
    expect(!typo.ok && typo.error.message).toContain(
      `${file}: --set origin.keepAliveTimeout=2s: origin: expected a known key (did you mean "origins"?)`,
    );
    const past = await loadScenario(file, ['origins.1.keepAliveTimeout=2s']);
    expect(!past.ok && past.error.message).toContain(
      '--set origins.1.keepAliveTimeout=2s: origins is a list of 1; expected an index from 0 to 0',
    );
  });
});
