import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveNativePackage, wasmBinariesDir } from '../../../../src/engine/backend/select';

describe('backend/select: where the engine finds native packages and wasm binaries', () => {
  let tmp: string;
  beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-native-'))));
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  function globalPackage(prefix: string, name: string): string {
    const dir = process.platform === 'win32' ? path.join(prefix, 'node_modules', name) : path.join(prefix, 'lib', 'node_modules', name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, version: '0.0.1', main: 'main.js' }));
    fs.writeFileSync(path.join(dir, 'main.js'), '');
    return path.join(dir, 'main.js');
  }

  it("finds a package among the global packages of the Node that runs the engine, and only that Node's", () => {
    const main = globalPackage(path.join(tmp, 'node-a'), '@distillery-test/native');
    const nodeOf = (prefix: string) => path.join(tmp, prefix, ...(process.platform === 'win32' ? ['node.exe'] : ['bin', 'node']));
    assert.equal(fs.realpathSync(resolveNativePackage('@distillery-test/native', nodeOf('node-a'))), fs.realpathSync(main));
    assert.throws(() => resolveNativePackage('@distillery-test/native', nodeOf('node-b')), { code: 'MODULE_NOT_FOUND' });
  });

  it('prefers a package installed beside the engine', () => {
    globalPackage(path.join(tmp, 'node-a'), 'zod');
    assert.equal(resolveNativePackage('zod', path.join(tmp, 'node-a', 'bin', 'node')), require.resolve('zod'));
  });

  it('reads the wasm binaries beside a self-contained engine, else from the installed package', () => {
    fs.writeFileSync(path.join(tmp, 'tfjs-backend-wasm-simd.wasm'), '');
    assert.equal(wasmBinariesDir(tmp), tmp);
    const installed = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
    assert.equal(wasmBinariesDir(path.join(tmp, 'elsewhere')), installed);
  });
});
