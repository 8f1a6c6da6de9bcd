import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { optionalPackages, wasmFeatures, type Finding } from '../../../src/cli/doctor';

const ROOT = path.join(__dirname, '..', '..', '..');
const byName = (fs: Finding[]) => Object.fromEntries(fs.map((f) => [f.name, f]));

/** wasmFeatures() in a fresh Node with these V8 flags (and environment). */
function featuresWith(flags: string[], env: NodeJS.ProcessEnv = {}): Record<string, Finding> {
  const code = `process.stdout.write(JSON.stringify(require('./src/cli/doctor.ts').wasmFeatures()))`;
  const r = spawnSync(process.execPath, [...flags, '--import', 'tsx', '-e', code], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, DISTILLERY_FMA: undefined, ...env },
  });
  assert.equal(r.status, 0, r.stderr);
  return byName(JSON.parse(r.stdout));
}

describe('distill doctor', () => {
  it('finds wasm SIMD and threads in Node 20, and relaxed SIMD as the engine uses it: behind the flag it sets, natively when V8 has it, off with DISTILLERY_FMA=0', () => {
    const here = byName(wasmFeatures());
    assert.equal(here.SIMD.ok, true);
    assert.equal(here.threads.ok, true);
    const behindFlag = featuresWith([])['relaxed SIMD'];
    assert.equal(behindFlag.ok, true);
    assert.match(
      behindFlag.detail,
      /^behind --experimental-wasm-relaxed-simd in this Node's V8 \(v20\.[^)]*\), which the engine sets: dense products run on the engine's fused multiply-add GEMM$/,
    );
    const native = featuresWith(['--experimental-wasm-relaxed-simd'])['relaxed SIMD'];
    assert.equal(native.detail, "available: dense products run on the engine's fused multiply-add GEMM");
    const off = featuresWith([], { DISTILLERY_FMA: '0' })['relaxed SIMD'];
    assert.equal(off.ok, false);
    assert.match(off.detail, /but DISTILLERY_FMA=0: dense products run on XNNPACK's SIMD128 kernels$/);
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
