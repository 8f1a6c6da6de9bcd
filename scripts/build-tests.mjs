// Bundles the integration tests for VS Code's extension host: out/tests.js is the
// `extensionTestsPath` entry (its run() starts mocha), out/integration/*.test.js are the
// suites it hands to mocha. `vscode` is provided by the host; mocha loads from node_modules.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';

const suites = Object.fromEntries(
  fs
    .readdirSync('test/integration')
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => [`integration/${f.replace(/\.ts$/, '')}`, path.join('test/integration', f)]),
);

await esbuild.build({
  entryPoints: { tests: 'test/integration/index.ts', ...suites },
  outdir: 'out',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  external: ['vscode', 'mocha'],
  logLevel: 'info',
});

// Drop bundles of suites that no longer exist (after building, not before: a run that is
// loading the suites right now never finds the folder empty).
const keep = new Set(Object.keys(suites).map((k) => path.basename(k)));
for (const f of fs.existsSync('out/integration') ? fs.readdirSync('out/integration') : []) {
  if (!keep.has(f.replace(/\.js(\.map)?$/, ''))) fs.rmSync(path.join('out/integration', f), { force: true });
}
