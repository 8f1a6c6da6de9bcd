/**
 * The CLI as npm users get it: `npm run pack:cli`'s tarball installed into an empty folder
 * (from the registry this machine has for its dependencies; no repository files reachable),
 * then `npx distill` run there on a tiny kd.json, end to end.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { pathToFileURL } from 'node:url';

const ROOT = path.join(__dirname, '..', '..');
const TINY_KD_JSON = path.join(ROOT, 'test', 'fixtures', 'workspace', 'kd.json');

function sh(cmd: string, args: string[], o: SpawnSyncOptions) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...o });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} failed:\n${String(r.stdout).slice(-1500)}\n${String(r.stderr).slice(-1500)}`);
  return String(r.stdout);
}

describe('npm run pack:cli: the distill CLI package', function () {
  this.timeout(300_000);
  let tmp: string;
  let app: string;
  let tarball: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-cli-pack-'));
    app = path.join(tmp, 'app');
    fs.mkdirSync(app);
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('packs bin, the bundles, digits, schema and examples: no sources, no dev tooling', async () => {
    const { packCli } = await import(pathToFileURL(path.join(ROOT, 'scripts', 'package', 'cli.mjs')).href);
    tarball = packCli({ outDir: tmp });
    const listing = sh('tar', ['tzf', tarball], {}).trim().split('\n');
    for (const f of [
      'bin/distill.js',
      'dist/cli.js',
      'dist/engine.js',
      'dist/kd.schema.json',
      'dist/mnist-digits-images.idx3-ubyte',
      'examples/mnist/kd.json',
      'LICENSE',
    ])
      assert.ok(listing.includes(`package/${f}`), `${f} is not in the tarball`);
    assert.deepEqual(
      // The sources and tests at the top; an example's own data may have a test/ folder (an image folder's split).
      listing.filter((f) => /\.(ts|map)$|node_modules|^package\/(src|test)\/|extension\.js|webview/.test(f)),
      [],
    );
    const manifest = JSON.parse(sh('tar', ['xzfO', tarball, 'package/package.json'], {}));
    assert.deepEqual(manifest.bin, { distill: './bin/distill.js' });
    assert.deepEqual(
      ['devDependencies', 'scripts', 'contributes', 'private'].filter((k) => k in manifest),
      [],
    );
    assert.deepEqual(Object.keys(manifest.dependencies).sort(), ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm']);
  });

  it('installs into an empty folder and runs a tiny kd.json end to end with npx distill', () => {
    sh('npm', ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: app });
    assert.match(sh('npx', ['distill', '--help'], { cwd: app }), /run \[options\] <kd\.json>[\s\S]*doctor/);
    fs.copyFileSync(TINY_KD_JSON, path.join(app, 'kd.json'));
    const out = sh('npx', ['distill', 'run', 'kd.json'], { cwd: app });
    assert.match(out, /distilled student/);
    const runs = path.join(app, '.distillery', 'runs');
    const [runId] = fs.readdirSync(runs);
    const summary = JSON.parse(fs.readFileSync(path.join(runs, runId, 'summary.json'), 'utf8'));
    assert.equal(summary.status, 'done');
    assert.equal(summary.backend, 'wasm');
    assert.equal(summary.testSamples, 120);
  });

  it('doctor reports wasm working and the optional native packages not installed, with what to install', () => {
    const report = JSON.parse(sh('npx', ['distill', 'doctor', '--json'], { cwd: app }));
    const by = (list: { name: string; ok: boolean; detail: string }[]) => Object.fromEntries(list.map((f) => [f.name, f]));
    assert.equal(by(report.backends).wasm.ok, true);
    assert.match(by(report.backends).tensorflow.detail, /npm install @tensorflow\/tfjs-node/);
    assert.equal(by(report.optionalPackages)['onnxruntime-node'].ok, false);
    assert.match(by(report.optionalPackages).sharp.detail, /not installed: .*npm install sharp/);
  });

  it('uses @tensorflow/tfjs-node when it is installed beside the CLI (here a stand-in with the same contract)', () => {
    // Like the real package, it registers its 'tensorflow' backend on the tfjs it resolves, which
    // is the CLI's only when both sit in one node_modules: tfjs's cpu kernels under that name.
    const pkg = path.join(app, 'node_modules', '@tensorflow', 'tfjs-node');
    fs.mkdirSync(pkg, { recursive: true });
    fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: '@tensorflow/tfjs-node', version: '4.22.0', main: 'index.js' }));
    fs.writeFileSync(
      path.join(pkg, 'index.js'),
      `const tf = require('@tensorflow/tfjs');
       const { MathBackendCPU } = require('@tensorflow/tfjs-backend-cpu');
       tf.registerBackend('tensorflow', () => new MathBackendCPU(), 3);
       for (const k of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...k, backendName: 'tensorflow' });
       module.exports = tf;`,
    );
    const report = JSON.parse(sh('npx', ['distill', 'doctor', '--json'], { cwd: app }));
    assert.equal(report.backends.find((b: { name: string }) => b.name === 'tensorflow').ok, true);
    const { backend: _forced, ...auto } = JSON.parse(fs.readFileSync(TINY_KD_JSON, 'utf8'));
    fs.writeFileSync(path.join(app, 'auto.kd.json'), JSON.stringify(auto));
    sh('npx', ['distill', 'run', 'auto.kd.json'], { cwd: app });
    const runs = path.join(app, '.distillery', 'runs');
    const summaries = fs.readdirSync(runs).map((r) => JSON.parse(fs.readFileSync(path.join(runs, r, 'summary.json'), 'utf8')));
    const fromAuto = summaries.find((s) => s.configPath.endsWith('auto.kd.json'));
    assert.deepEqual([fromAuto.status, fromAuto.backend], ['done', 'tensorflow']);
  });
});
