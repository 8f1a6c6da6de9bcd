/**
 * The .vsix as a user gets it: built by `npm run package`, unpacked into a folder with no
 * node_modules anywhere above it, and its engine run on a tiny kd.json from there. That the run
 * is done on wasm proves the engine found its wasm binaries, digits and schema inside the package.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { unzipSync } from 'fflate';

const ROOT = path.join(__dirname, '..', '..');
const load = (f: string) => import(pathToFileURL(path.join(ROOT, 'scripts', 'package', f)).href);
const TINY_KD_JSON = path.join(ROOT, 'test', 'fixtures', 'workspace', 'kd.json');

function unpack(vsix: string, into: string): void {
  for (const [name, bytes] of Object.entries(unzipSync(fs.readFileSync(vsix)))) {
    const to = path.join(into, name);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.writeFileSync(to, bytes);
  }
}

describe('npm run package: the .vsix', function () {
  this.timeout(240_000);
  let tmp: string;
  before(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-vsix-'))));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('fits the budget and ships the bundles, wasm, digits, schema, media and docs, and nothing of the sources', async () => {
    const { packageVsix } = await load('vsix.mjs');
    const { checkBudget, zipEntries, BUDGET } = await load('budget.mjs');
    const r = await packageVsix({ outDir: tmp, quiet: true });
    assert.ok(checkBudget(r).ok, checkBudget(r).lines.join('\n'));
    assert.ok(r.bytes <= BUDGET.bytes && r.files <= BUDGET.files);
    const names: string[] = zipEntries(r.vsix).map((e: { name: string }) => e.name);
    for (const f of [
      'dist/extension.js',
      'dist/engine.js',
      // Export Student (ONNX, quantized) and Slurm tasks run the CLI beside the engine.
      'dist/cli.js',
      'dist/tfjs-backend-wasm-simd.wasm',
      'dist/tfjs-backend-wasm.wasm',
      'dist/mnist-digits-images.idx3-ubyte',
      'dist/kd.schema.json',
      'dist/webview/webview.js',
      'media/icon.png',
      'media/walkthrough/startRun.md',
      'LICENSE.txt',
      'package.json',
    ])
      assert.ok(names.includes(`extension/${f}`), `${f} is not in the .vsix`);
    assert.deepEqual(
      names.filter((n) => /\.(map|ts)$|node_modules|\/src\/|\/test\//.test(n)),
      [],
      'development files in the .vsix',
    );
    const shipped = JSON.parse(
      Buffer.from(unzipSync(fs.readFileSync(r.vsix), { filter: (f) => f.name === 'extension/package.json' })['extension/package.json']).toString(),
    );
    assert.deepEqual(
      ['scripts', 'devDependencies', 'dependencies'].filter((k) => k in shipped),
      [],
    );
    const host = fs.readFileSync(path.join(ROOT, '.package', 'universal', 'dist', 'extension.js'), 'utf8');
    assert.doesNotMatch(host, /require\(["']@tensorflow/, 'the host bundle loads tfjs');

    unpack(r.vsix, path.join(tmp, 'installed'));
  });

  it("runs a kd.json with the installed engine alone, on wasm, from the package's own files", () => {
    const engine = path.join(tmp, 'installed', 'extension', 'dist', 'engine.js');
    const work = path.join(tmp, 'work');
    fs.mkdirSync(work);
    fs.copyFileSync(TINY_KD_JSON, path.join(work, 'kd.json'));
    const runDir = path.join(work, 'run');
    const r = spawnSync(process.execPath, [engine, '--config', path.join(work, 'kd.json'), '--run-dir', runDir], { cwd: work, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr.slice(-2000));
    const summary = JSON.parse(fs.readFileSync(path.join(runDir, 'summary.json'), 'utf8'));
    assert.equal(summary.status, 'done');
    assert.equal(summary.backend, 'wasm');
    assert.equal(summary.testSamples, 120, 'the bundled digits: 600 samples, 20 % for testing');
    assert.ok(summary.teacher.testAccuracy > 0.1, `teacher accuracy ${summary.teacher.testAccuracy} is no better than chance`);
  });

  it("splits a CNN teacher's steps over two threads from the installed bundle alone (the bundle is its own gradient thread)", () => {
    const engine = path.join(tmp, 'installed', 'extension', 'dist', 'engine.js');
    const work = fs.mkdtempSync(path.join(tmp, 'threads-'));
    const kd = {
      data: { source: 'mnist', limit: 1000 },
      teachers: [{ id: 'cnn', architecture: { preset: 'cnn', filters: [32, 64], kernelSize: 3, dense: [256] }, training: { epochs: 1, batchSize: 128 } }],
      student: { architecture: { preset: 'mlp', hidden: [16] } },
      training: { epochs: 1, batchSize: 128 },
      evaluation: { latencySamples: 2, logitsSamples: 0 },
      backend: 'wasm',
    };
    fs.writeFileSync(path.join(work, 'kd.json'), JSON.stringify(kd));
    const runDir = path.join(work, 'run');
    const r = spawnSync(process.execPath, [engine, '--config', path.join(work, 'kd.json'), '--run-dir', runDir, '--threads', '2'], {
      cwd: work,
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr.slice(-2000));
    const logs = fs.readFileSync(path.join(runDir, 'events.jsonl'), 'utf8');
    assert.match(logs, /"message":"teacher: 2 threads, data-parallel \(each batch of 128 split 64 \+ 64/);
    assert.doesNotMatch(logs, /gradient thread/, 'no thread failed or failed to start');
    assert.equal(JSON.parse(fs.readFileSync(path.join(runDir, 'summary.json'), 'utf8')).status, 'done');
  });

  it("uses tfjs-node from the global packages of the Node that runs it (distillery.nodePath's), else wasm", () => {
    // A Node "installed" in <tmp>/node (bin/node, a hard link to this one) with a global
    // @tensorflow/tfjs-node: a stand-in that, like the real one, registers a 'tensorflow' backend
    // with tfjs (its own copy: cpu kernels under that name).
    const prefix = path.join(tmp, 'node');
    const globals = path.join(prefix, 'lib', 'node_modules', '@tensorflow');
    fs.mkdirSync(path.join(prefix, 'bin'), { recursive: true });
    fs.mkdirSync(path.join(globals, 'tfjs-node'), { recursive: true });
    const node = path.join(prefix, 'bin', 'node');
    try {
      fs.linkSync(process.execPath, node);
    } catch {
      fs.copyFileSync(process.execPath, node);
      fs.chmodSync(node, 0o755);
    }
    for (const dep of ['tfjs', 'tfjs-backend-cpu']) fs.symlinkSync(path.join(ROOT, 'node_modules', '@tensorflow', dep), path.join(globals, dep), 'dir');
    fs.writeFileSync(path.join(globals, 'tfjs-node', 'package.json'), JSON.stringify({ name: '@tensorflow/tfjs-node', version: '4.22.0', main: 'index.js' }));
    fs.writeFileSync(
      path.join(globals, 'tfjs-node', 'index.js'),
      `const tf = require('@tensorflow/tfjs');
       const { MathBackendCPU } = require('@tensorflow/tfjs-backend-cpu');
       tf.registerBackend('tensorflow', () => new MathBackendCPU(), 3);
       for (const k of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...k, backendName: 'tensorflow' });
       module.exports = tf;`,
    );
    const engine = path.join(tmp, 'installed', 'extension', 'dist', 'engine.js');
    const work = path.join(tmp, 'native');
    fs.mkdirSync(work);
    const { backend: _forced, ...auto } = JSON.parse(fs.readFileSync(TINY_KD_JSON, 'utf8'));
    fs.writeFileSync(path.join(work, 'kd.json'), JSON.stringify(auto));
    const backendOf = (nodeBinary: string, runDir: string) => {
      const r = spawnSync(nodeBinary, [engine, '--config', path.join(work, 'kd.json'), '--run-dir', runDir], { cwd: work, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr.slice(-2000));
      const summary = JSON.parse(fs.readFileSync(path.join(runDir, 'summary.json'), 'utf8'));
      return [summary.status, summary.backend];
    };
    assert.deepEqual(backendOf(node, path.join(work, 'with')), ['done', 'tensorflow']);
    assert.deepEqual(backendOf(process.execPath, path.join(work, 'without')), ['done', 'wasm']);
  });

  it("carries one platform's sharp and onnxruntime-node in a --target package, and they load from it", async () => {
    const { packageVsix } = await load('vsix.mjs');
    const { checkBudget, zipEntries } = await load('budget.mjs');
    const r = await packageVsix({ target: 'linux-x64', outDir: tmp, quiet: true });
    assert.ok(checkBudget(r).ok, checkBudget(r).lines.join('\n'));
    const names: string[] = zipEntries(r.vsix).map((e: { name: string }) => e.name);
    const binaries = names.filter((n) => /\.(node|so[.\d]*|dll|dylib)$/.test(n));
    assert.ok(binaries.length >= 4, binaries.join('\n'));
    for (const b of binaries) assert.match(b, /linux[-/]x64|sharp-libvips-linux-x64/, `${b} is not a linux-x64 binary`);
    assert.ok(r.native.files > 0 && r.native.bytes > 1_000_000);

    const dir = path.join(tmp, 'linux-x64');
    unpack(r.vsix, dir);
    const probe = `const r=require('module').createRequire(${JSON.stringify(path.join(dir, 'extension', 'dist', 'engine.js'))});
      const sharp=r('sharp'); const ort=r('onnxruntime-node');
      sharp({create:{width:2,height:3,channels:3,background:'#ff8000'}}).raw().toBuffer().then((b)=>
        process.stdout.write(JSON.stringify({ pixels: [...b.subarray(0,3)], n: b.length, ort: typeof ort.InferenceSession.create, from: r.resolve('sharp') })));`;
    const out = spawnSync(process.execPath, ['-e', probe], { cwd: tmp, encoding: 'utf8' });
    assert.equal(out.status, 0, out.stderr);
    const got = JSON.parse(out.stdout);
    assert.deepEqual([got.pixels, got.n, got.ort], [[255, 128, 0], 18, 'function']);
    assert.ok(got.from.startsWith(dir), `sharp came from ${got.from}, not the package`);
  });
});
