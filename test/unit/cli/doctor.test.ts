import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { optionalPackages, wasmFeatures, type Finding } from '../../../src/cli/doctor';

const ROOT = path.join(__dirname, '..', '..', '..');
const byName = (fs: Finding[]) => Object.fromEntries(fs.map((f) => [f.name, f]));

/** wasmFeatures() in a fresh Node with these V8 flags. */
function featuresWith(flags: string[]): Record<string, Finding> {
  const code = `process.stdout.write(JSON.stringify(require('./src/cli/doctor.ts').wasmFeatures()))`;
  const r = spawnSync(process.execPath, [...flags, '--import', 'tsx', '-e', code], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return byName(JSON.parse(r.stdout));
}

describe('distill doctor', () => {
  it('finds wasm SIMD and threads in Node 20, and relaxed SIMD exactly when V8 is told to allow it', () => {
    const here = byName(wasmFeatures());
    assert.equal(here.SIMD.ok, true);
    assert.equal(here.threads.ok, true);
    assert.equal(featuresWith([])['relaxed SIMD'].ok, false);
    assert.equal(featuresWith(['--experimental-wasm-relaxed-simd'])['relaxed SIMD'].ok, true);
  });

  it('reports the optional native packages installed beside the engine, with their versions', () => {
    const found = byName(optionalPackages(path.join(ROOT, 'dist')));
    for (const name of ['onnxruntime-node', 'sharp']) {
      const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8'));
      assert.equal(found[name].ok, true, found[name].detail);
      assert.ok(found[name].detail.startsWith(`${version} (`), found[name].detail);
    }
  });

  it('says which package is missing and what to install, where none is installed', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-doctor-'));
    try {
      const found = byName(optionalPackages(empty));
      assert.equal(found['onnxruntime-node'].ok, false);
      assert.match(found['onnxruntime-node'].detail, /not installed: ONNX teachers need it \(npm install onnxruntime-node/);
      assert.match(found.sharp.detail, /not installed: .*npm install sharp/);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});
