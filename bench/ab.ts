/**
 * `tsx bench/ab.ts <kind> <other-tree> [more kinds...]`: one server kind
 * from another checkout of the lab (the code before a change) against the
 * same kind from this one, alternated as the bench alternates contenders
 * (lib/compare.ts), beside a plain node:http origin and any more kinds from
 * this tree. A kind ending in `@` is a proxy: the plain origin's port is
 * appended (`pipe-l4@`, `haproxy-tcp@`). `LAB_BENCH_ROUNDS=15` for small
 * differences: on a shared machine a best round can be luck, a median of
 * fifteen rarely is.
 *
 * The other tree needs its own node_modules (its packages link to its own
 * sources), e.g. for HEAD:
 *   mkdir /tmp/before && git archive HEAD | tar -x -C /tmp/before
 *   cp -a node_modules /tmp/before/ && for p in packages/*; do cp -a $p/node_modules /tmp/before/$p/; done
 */
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { compare } from './lib/compare.js';
import { serverDriver } from './lib/drivers.js';
import { renderSection } from './lib/print.js';
import { startServerChild, type ServerChild } from './lib/server-child.js';

const [kind, otherTree, ...more] = process.argv.slice(2);
if (kind === undefined || otherTree === undefined) {
  process.stderr.write('usage: tsx bench/ab.ts <kind> <other-tree> [more kinds...]   (kinds: lab-cli, lab, pipe-l4@, l7-fast@, ...)\n');
  process.exit(2);
}
const other = resolve(otherTree);
const { startServerChild: startOther } = (await import(`${other}/bench/lib/server-child.ts`)) as {
  startServerChild: typeof startServerChild;
};

const started: ServerChild[] = [];
const start = async (s: Promise<ServerChild>): Promise<ServerChild> => {
  const child = await s;
  started.push(child);
  return child;
};
try {
  const plain = await start(startServerChild('plain'));
  const k = (x: string): string => (x.endsWith('@') ? `${x}${plain.port}` : x);
  const contenders = [
    { label: `${kind} (${other})`, server: await start(startOther(k(kind))), run: serverDriver.run },
    { label: `${kind} (this tree)`, server: await start(startServerChild(k(kind))), run: serverDriver.run },
  ];
  for (const x of more) contenders.push({ label: x, server: await start(startServerChild(k(x))), run: serverDriver.run });
  contenders.push({ label: 'plain node:http', server: plain, run: serverDriver.run });
  const load = loadavg()[0] ?? 0;
  const rows = await compare(contenders);
  const note = `${serverDriver.name}; load average ${load.toFixed(2)} at start, ${(loadavg()[0] ?? 0).toFixed(2)} at the end`;
  process.stdout.write(renderSection({ title: `A/B: ${kind}`, note, rows, goals: [] }));
} finally {
  await Promise.all(started.map((s) => s.stop()));
}
