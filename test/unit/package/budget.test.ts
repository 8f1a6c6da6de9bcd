import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { zipSync } from 'fflate';

const SCRIPTS = path.join(__dirname, '..', '..', '..', 'scripts', 'package');
const load = (f: string) => import(pathToFileURL(path.join(SCRIPTS, f)).href);

describe('scripts/package/budget.mjs: the .vsix budget', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-budget-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function writeZip(files: Record<string, Uint8Array>): string {
    const file = path.join(dir, 'x.vsix');
    fs.writeFileSync(file, zipSync(files, { level: 6 }));
    return file;
  }

  it("reads every entry's name and sizes from the zip's central directory", async () => {
    const { zipEntries } = await load('budget.mjs');
    const text = new TextEncoder().encode('a'.repeat(10_000));
    const noise = Uint8Array.from({ length: 5000 }, (_, i) => (i * 2654435761) >>> 24);
    const entries = zipEntries(writeZip({ 'extension/a.txt': text, 'extension/dist/b.bin': noise }));
    assert.deepEqual(
      entries.map((e: { name: string; size: number }) => [e.name, e.size]),
      [
        ['extension/a.txt', 10_000],
        ['extension/dist/b.bin', 5000],
      ],
    );
    assert.ok(entries[0].compressed < 200, `10 000 equal bytes deflate to ${entries[0].compressed}`);
  });

  it('fails a package with more than 150 files, and counts native modules apart', async () => {
    const { measureVsix, checkBudget } = await load('budget.mjs');
    const files: Record<string, Uint8Array> = {};
    for (let i = 0; i < 151; i++) files[`extension/f${i}.js`] = new Uint8Array([i]);
    const over = measureVsix(writeZip(files));
    assert.equal(over.extension.files, 151);
    assert.equal(checkBudget({ ...over, vsix: 'x', target: 'universal' }).ok, false);

    const native: Record<string, Uint8Array> = { 'extension/package.json': new Uint8Array([1]) };
    for (let i = 0; i < 200; i++) native[`extension/dist/node_modules/sharp/f${i}.js`] = new Uint8Array([i]);
    const m = measureVsix(writeZip(native));
    assert.deepEqual([m.extension.files, m.native.files], [1, 200]);
    const verdict = checkBudget({ ...m, vsix: 'x', target: 'linux-x64' });
    assert.equal(verdict.ok, true, verdict.lines.join('\n'));
    assert.match(verdict.lines.join('\n'), /native modules for linux-x64: .* 200 files/);
  });
});

describe('scripts/package/cli.mjs: the CLI package depends on what its bundles require', () => {
  it('lists the packages a bundle requires, without Node built-ins or relative files', async () => {
    const { requiredPackages } = await load('cli.mjs');
    const bundle = `require("node:fs");require("path");require('./x.js');require("@tensorflow/tfjs");require("@tensorflow/tfjs-backend-wasm/package.json");require("zod/v4")`;
    assert.deepEqual(requiredPackages(bundle), ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', 'zod']);
  });

  it('refuses a bundle that requires a package the repository does not declare', async () => {
    const { cliManifest } = await load('cli.mjs');
    const dist = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-cli-'));
    try {
      fs.writeFileSync(path.join(dist, 'cli.js'), 'require("@tensorflow/tfjs");require("sharp")');
      fs.writeFileSync(path.join(dist, 'engine.js'), 'require("left-pad")');
      const root = { name: 'd', version: '1.0.0', engines: { node: '>=20' }, dependencies: { '@tensorflow/tfjs': '^4', sharp: '^0.35' } };
      assert.throws(() => cliManifest(root, dist), /require "left-pad", which package.json does not list/);
      fs.writeFileSync(path.join(dist, 'engine.js'), '');
      const m = cliManifest(root, dist);
      assert.deepEqual(m.dependencies, { '@tensorflow/tfjs': '^4' });
      assert.equal(m.peerDependencies.sharp, '^0.35');
      assert.equal(m.peerDependenciesMeta.sharp.optional, true);
    } finally {
      fs.rmSync(dist, { recursive: true, force: true });
    }
  });
});
