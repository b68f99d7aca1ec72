import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenario, runToDocument, type ResultDocument } from '../src/index.js';
import { namespaceSupport, type NetworkedDocument } from '../src/netns.js';

/**
 * `network.namespace: true`: the scenario runs in a child inside `unshare -rn`.
 * What proves it really did is read off the records, not the `network` field
 * alone: its ports come from the namespace's own range, and a server
 * listening on the host's 127.0.0.1 is out of its reach.
 */
const ns = await namespaceSupport(); // asked once
const LAB = fileURLToPath(new URL('../../cli/bin/lab.js', import.meta.url));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lab-netns-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function scenarioFile(name: string, body: string): Promise<string> {
  const file = join(dir, `${name}.yaml`);
  await writeFile(file, `name: ${name}\ntitle: ${name}\n${body}`);
  return file;
}

async function run(file: string, sets: string[] = []): Promise<NetworkedDocument> {
  const loaded = await loadScenario(file, sets);
  if (!loaded.ok) throw loaded.error;
  return (await runToDocument(loaded.value)) as NetworkedDocument;
}

/** A plain TCP server on the host's loopback that counts who reached it. */
async function hostServer(): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let n = 0;
  const server: Server = createServer((s) => {
    n++;
    s.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { port, connections: () => n, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** `lab run --json` in a child whose PATH has no unshare (nor anything else): the namespace cannot be made. */
function labWithoutUnshare(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [LAB, ...args],
      { env: { ...process.env, PATH: dir, NO_COLOR: '1' }, maxBuffer: 64 << 20, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const inRange = (p: number | null, [a, b]: [number, number]) => p !== null && p >= a && p <= b;

describe.skipIf(!ns.ok)(`a scenario in a network namespace of its own${ns.ok ? '' : ` (skipped: ${ns.why})`}`, () => {
  it("draws every port from the namespace's local port range, and says it ran there", async () => {
    const range: [number, number] = [41000, 41099];
    const file = await scenarioFile(
      'ns-ports',
      `network: { namespace: true, localPortRange: [${range[0]}, ${range[1]}] }\n` +
        'proxy: { kind: l7 }\nclient: { requests: 12, concurrency: 3, keepAlive: false }\n',
    );
    const doc = await run(file);
    expect(doc.requests.map((r) => r.status)).toEqual(Array(12).fill(200));
    // The client's ports, the proxy's upstream ports (what the origin saw): all from the namespace's range, which the host does not use.
    const ports = doc.requests.flatMap((r) => [r.clientPort, r.upstreamPort, r.originPort]);
    expect(ports.filter((p) => !inRange(p, range))).toEqual([]);
    // The proxy's accepted and upstream sockets, from its own events.
    const proxyPorts = doc.events.flatMap((e) =>
      e.event === 'client-open' ? [e.clientPort] : e.event === 'upstream-open' ? [e.localPort] : [],
    );
    expect(proxyPorts.length).toBeGreaterThan(0);
    expect(proxyPorts.filter((p) => !inRange(p, range))).toEqual([]);
    expect(doc.network).toEqual({ namespace: true, localPortRange: range });
    expect(doc.verdict).toBe('reproduced');
  });

  it("has a loopback of its own: a server on the host's 127.0.0.1 is out of reach, and its port is free in there", async () => {
    const host = await hostServer();
    try {
      // The client goes to the host server's address: refused, since in the namespace nothing listens there.
      const out = await scenarioFile(
        'ns-unreachable',
        `network: { namespace: true }\nproxy: { kind: external, url: "http://127.0.0.1:${host.port}/" }\n` +
          'client: { requests: 3, keepAlive: false, timeout: 5s }\n',
      );
      const refused = await run(out);
      expect(host.connections()).toBe(0);
      expect(refused.requests.map((r) => r.error)).toEqual(['ECONNREFUSED', 'ECONNREFUSED', 'ECONNREFUSED']);
      // The origin listens on the very port the host server holds (on the host: EADDRINUSE) and answers.
      const same = await scenarioFile(
        'ns-same-port',
        `network: { namespace: true }\norigins: [{ name: origin, port: ${host.port} }]\nclient: { requests: 3, keepAlive: false }\n`,
      );
      const answered = await run(same);
      expect(answered.requests.map((r) => [r.status, r.origin])).toEqual([
        [200, 'origin'],
        [200, 'origin'],
        [200, 'origin'],
      ]);
      expect(host.connections()).toBe(0);
      expect([refused.network, answered.network]).toEqual([
        { namespace: true, localPortRange: expect.any(Array) },
        { namespace: true, localPortRange: expect.any(Array) },
      ]);
    } finally {
      await host.close();
    }
  });

  it("refuses a variant that sets network.*: the namespace is the whole scenario's", async () => {
    const file = await scenarioFile(
      'ns-variant',
      'network: { namespace: true }\nvariants:\n  - { name: a }\n  - { name: b, set: { network.localPortRange: [42000, 42099] } }\n',
    );
    await expect(run(file)).rejects.toMatchObject({
      code: 'LAB_ERR_SCENARIO_INVALID',
      message: expect.stringContaining('variant b sets network.*'),
    });
  });
});

describe('when no namespace can be made (no unshare on PATH)', () => {
  it('with localPortRange: runs on the host, says why, extrapolates the host range, and still counts TIME_WAIT per side', async () => {
    const r = await labWithoutUnshare(['run', 'port-exhaustion', '--json', '--no-save', '--set', 'client.requests=40']);
    const [doc] = JSON.parse(r.stdout) as (ResultDocument & NetworkedDocument)[];
    if (doc === undefined) throw new Error('lab run --json printed no document');
    expect(doc.network.namespace).toBe(false);
    expect(doc.network.why).toContain('`unshare` (util-linux) is not installed');
    expect(r.stderr).toContain('port-exhaustion: no network namespace here');
    if (process.platform === 'linux') {
      const [a, b] = doc.network.localPortRange ?? [0, 0];
      expect(doc.network.note).toContain(`≈ ${Math.floor((b - a + 1) / 60)} new connections/s`);
      // On the host nothing ran out: every request answered, and the proxy's closed upstream connections are all in TIME_WAIT.
      expect(doc.requests.every((x) => x.status === 200)).toBe(true);
      expect(doc.metrics['close:timeWait.proxyUpstream']).toBeGreaterThanOrEqual(40);
      expect(doc.metrics['close:timeWait.client']).toBe(0);
      expect(doc.metrics['close:timeWait.proxyClient']).toBeGreaterThan(0);
    }
    // The checks that need the narrow range fail, honestly: not reproduced on the host's ports.
    expect(doc.verdict).toBe('not-reproduced');
    expect(r.code).toBe(1);
  });

  it('without localPortRange: LAB_ERR_RUN_FAILED, saying why and how to run it', async () => {
    const file = await scenarioFile('ns-isolated', 'network: { namespace: true }\nclient: { requests: 2 }\n');
    const r = await labWithoutUnshare(['run', file, '--no-save']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('LAB_ERR_RUN_FAILED');
    expect(r.stderr).toContain('none can be made here: `unshare` (util-linux) is not installed');
    expect(r.stderr).toContain('as root');
  });
});
