// `npm run pack:cli`: the `distill` CLI as an npm tarball (distillery-<version>.tgz).
//
// Its package.json is generated here, not the repository's: that one is the VS Code extension's
// manifest (contributes, engines.vscode, `private`, the build and test tooling), and nearly all of
// its `dependencies` are bundled into dist/cli.js and dist/engine.js by esbuild. What the CLI's
// package must depend on is exactly what those bundles leave to `require()` at run time: this
// reads the bundles' requires, takes each version from the repository's package.json (one place
// for versions), and fails if a bundle needs a package the repository does not declare.
// Native packages are optional peers, installed by the user next to the CLI when wanted
// (`distill doctor` says which are there): tfjs-node/-gpu (faster training), onnxruntime-node
// (ONNX teachers), sharp (image folders). npm does not install optional peers on its own, so the
// CLI installs in seconds and without install scripts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { builtinModules } from 'node:module';
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { REPO_ROOT } from '../testbed/util.mjs';

const BUNDLES = ['cli.js', 'engine.js'];
/** What dist/ ships for the CLI: the two bundles, the digits, the kd.json schema. */
const DIST_FILES = [...BUNDLES, 'kd.schema.json', 'mnist-digits-images.idx3-ubyte', 'mnist-digits-labels.idx1-ubyte'];
export const OPTIONAL_NATIVE = ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'onnxruntime-node', 'sharp'];
/** Only read when the build's IDX digits are missing (running from sources); the tarball has them. */
const SOURCE_ONLY = new Set(['mnist']);

const say = (msg) => console.error(`[pack:cli] ${msg}`);

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status})`);
  return r.stdout;
}

/** The packages a bundle leaves to require(): literal requires of anything but Node's built-ins. */
export function requiredPackages(bundleText) {
  const names = new Set();
  for (const m of bundleText.matchAll(/\brequire\(\s*["']([^"'./][^"']*)["']\s*\)/g)) {
    const spec = m[1];
    if (spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0])) continue;
    names.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
  }
  return [...names].sort();
}

/** The CLI's package.json, from the repository's manifest and what the bundles in `distDir` require. */
export function cliManifest(root, distDir) {
  const required = new Set(BUNDLES.flatMap((b) => requiredPackages(fs.readFileSync(path.join(distDir, b), 'utf8'))));
  const declared = { ...root.dependencies, ...root.optionalDependencies };
  const dependencies = {};
  for (const name of [...required].sort()) {
    if (OPTIONAL_NATIVE.includes(name) || SOURCE_ONLY.has(name)) continue;
    if (!declared[name]) throw new Error(`the CLI bundles require "${name}", which package.json does not list in dependencies`);
    dependencies[name] = declared[name];
  }
  const peerDependencies = Object.fromEntries(OPTIONAL_NATIVE.map((n) => [n, declared[n] ?? root.devDependencies?.[n] ?? '*']));
  return {
    name: root.name,
    version: root.version,
    description: `The distill CLI: ${root.description}`,
    license: root.license,
    keywords: root.keywords,
    repository: root.repository,
    bugs: root.bugs,
    homepage: root.homepage,
    engines: { node: root.engines.node },
    bin: root.bin,
    files: ['bin/', 'dist/', 'examples/', 'README.md', 'LICENSE', 'CHANGELOG.md'],
    dependencies,
    peerDependencies,
    peerDependenciesMeta: Object.fromEntries(OPTIONAL_NATIVE.map((n) => [n, { optional: true }])),
  };
}

/** Builds the CLI, stages it in .package/cli/, and packs it into `outDir`; returns the tarball's path. */
export function packCli({ outDir = REPO_ROOT } = {}) {
  const root = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
  const stage = path.join(REPO_ROOT, '.package', 'cli');
  const built = path.join(REPO_ROOT, '.package', 'cli-build');
  fs.rmSync(stage, { recursive: true, force: true });
  fs.rmSync(built, { recursive: true, force: true });
  run(process.execPath, ['scripts/build.mjs', '--production', '--outdir', built], REPO_ROOT);
  fs.mkdirSync(path.join(stage, 'dist'), { recursive: true });
  for (const f of DIST_FILES) fs.copyFileSync(path.join(built, f), path.join(stage, 'dist', f));
  fs.rmSync(built, { recursive: true, force: true });
  fs.cpSync(path.join(REPO_ROOT, 'bin'), path.join(stage, 'bin'), { recursive: true });
  fs.cpSync(path.join(REPO_ROOT, 'examples'), path.join(stage, 'examples'), {
    recursive: true,
    filter: (src) => !src.split(path.sep).includes('.distillery'),
  });
  for (const f of ['README.md', 'LICENSE', 'CHANGELOG.md']) fs.copyFileSync(path.join(REPO_ROOT, f), path.join(stage, f));
  fs.writeFileSync(path.join(stage, 'package.json'), JSON.stringify(cliManifest(root, path.join(stage, 'dist')), null, 2) + '\n');
  fs.mkdirSync(outDir, { recursive: true });
  const out = run('npm', ['pack', '--pack-destination', outDir, '--silent'], stage);
  return path.join(outDir, out.trim().split('\n').pop());
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values: opts } = parseArgs({ options: { out: { type: 'string' } } });
  try {
    const tarball = packCli({ outDir: opts.out ? path.resolve(opts.out) : REPO_ROOT });
    say(`${tarball}: ${(fs.statSync(tarball).size / 1024 / 1024).toFixed(2)} MB`);
    console.log(tarball);
  } catch (err) {
    say(`FAILED: ${err.message ?? err}`);
    process.exit(1);
  }
}
