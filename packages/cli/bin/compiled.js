// The lab's packages are TypeScript sources. Run through tsx's loader, every
// `lab` process paid for it: node 20 runs loader hooks in a thread of their
// own (a second V8 isolate with esbuild in it), about 35 MB of RSS that no
// connection is in, and ~0.5 s of start-up. So `lab` runs the JavaScript
// that esbuild writes next to each package's sources (packages/*/dist/,
// mirroring src/, not in git), rebuilt here whenever a source changed: a
// fresh clone builds on its first `lab` (well under a second), an edit is
// picked up by the next `lab`, nothing is ever stale. Tests, benches and
// scripts keep running the sources through tsx/vitest.
//
// LAB_FROM_SOURCE=1 skips this and runs the sources through tsx, as before.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGES = fileURLToPath(new URL('../../', import.meta.url));
const STAMP = join(PACKAGES, 'cli', 'dist', '.built');
/** What the build's output depends on besides the sources: this file, the compiler options. */
const INPUTS = [fileURLToPath(import.meta.url), join(PACKAGES, '..', 'tsconfig.base.json')];

/**
 * The URL of the compiled CLI's main module, built first if any source
 * changed; null to run the sources through tsx instead (asked for, or the
 * build could not be made: then the sources still run, only slower).
 */
export async function compiledMain() {
  if (process.env.LAB_FROM_SOURCE === '1') return null;
  try {
    const packages = readdirSync(PACKAGES).filter((p) => statOrNull(join(PACKAGES, p, 'src')) !== null);
    const files = packages.flatMap((p) => walk(join(PACKAGES, p, 'src')));
    const signature = signatureOf([...INPUTS, ...packages.map((p) => join(PACKAGES, p, 'package.json')), ...files]);
    if (readOrNull(STAMP) !== signature) {
      await build(packages, files);
      writeAtomically(STAMP, signature);
    }
    return new URL('../dist/main.js', import.meta.url).href;
  } catch (err) {
    process.emitWarning(`lab: running from the TypeScript sources (slower): the compiled build failed: ${err.message}`);
    return null;
  }
}

/**
 * Every file's path, mtime and size, hashed: a changed, added or removed
 * file changes it. About 200 stats, a few ms.
 */
function signatureOf(paths) {
  const h = createHash('sha1');
  for (const p of paths) {
    const s = statSync(p);
    h.update(`${p}\0${s.mtimeMs}\0${s.size}\n`);
  }
  return `${process.version}\n${h.digest('hex')}\n`;
}

/**
 * Each .ts under a package's src/ becomes a .js under its dist/, the same
 * relative path (so `new URL('../package.json', import.meta.url)` finds the
 * same file); other files (the report's assets) are copied. Imports of a
 * sibling package (`@keepalive-lab/core`, whose package.json exports point
 * at its TypeScript) are rewritten to that package's compiled index.
 * Concurrent `lab`s may build at once: every file is written by rename,
 * and they all write the same bytes.
 */
async function build(packages, files) {
  const esbuild = await import('esbuild');
  const tsFiles = files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
  // esbuild's service is a child process: stopped once built, so a long-running `lab proxy` does not keep it.
  const out = await esbuild
    .build({
      entryPoints: tsFiles,
      outbase: PACKAGES,
      outdir: PACKAGES,
      write: false,
      bundle: false,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      tsconfig: INPUTS[1],
      logLevel: 'silent',
    })
    .finally(() => esbuild.stop());
  const entries = new Map(packages.map((p) => [`@keepalive-lab/${p}`, join(PACKAGES, p, distEntryOf(p))]));
  for (const file of out.outputFiles) {
    // esbuild wrote <pkg>/src/x.js: it goes to <pkg>/dist/x.js.
    const target = toDist(file.path);
    const text = file.text.replace(SIBLING_IMPORT, (whole, head, quote, name) => {
      const entry = entries.get(name);
      if (entry === undefined) return whole;
      const rel = relative(dirname(target), entry).split(sep).join('/');
      return `${head}${quote}${rel.startsWith('.') ? rel : `./${rel}`}${quote}`;
    });
    writeAtomically(target, text);
  }
  for (const f of files) if (!f.endsWith('.ts')) writeAtomically(toDist(f), readFileSync(f));
}

/** `from "@keepalive-lab/x"`, `import("@keepalive-lab/x")`, `import "@keepalive-lab/x"`: esbuild's output, double quotes. */
const SIBLING_IMPORT = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(["'])(@keepalive-lab\/[a-z0-9-]+)\2/g;

/** `./src/index.ts` in the package's exports → `dist/index.js`. */
function distEntryOf(pkg) {
  const manifest = JSON.parse(readFileSync(join(PACKAGES, pkg, 'package.json'), 'utf8'));
  const entry = typeof manifest.exports === 'string' ? manifest.exports : manifest.exports?.['.'];
  if (typeof entry !== 'string' || !entry.startsWith('./src/'))
    throw new Error(`packages/${pkg}/package.json: exports "." is not ./src/...`);
  return `dist/${entry.slice('./src/'.length).replace(/\.ts$/, '.js')}`;
}

function toDist(path) {
  const rel = relative(PACKAGES, path).split(sep);
  if (rel[1] !== 'src') throw new Error(`not under a package's src/: ${path}`);
  rel[1] = 'dist';
  return join(PACKAGES, ...rel);
}

function walk(dir) {
  const found = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) found.push(...walk(p));
    else if (e.isFile()) found.push(p);
  }
  return found;
}

function writeAtomically(path, data) {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

function statOrNull(p) {
  try {
    return statSync(p);
  } catch {
    return null;
  }
}

function readOrNull(p) {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return null;
  }
}
