// One esbuild pass per process boundary: the extension host (vscode external, never tfjs),
// the engine child process and the CLI (tfjs stays in node_modules: its native and wasm
// backends load files relative to their own package), and the webviews (browser, self-contained:
// webview.js plus the webview.css esbuild extracts from its CSS imports, nothing fetched remotely).
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
const common = { bundle: true, sourcemap: !production, minify: production, logLevel: 'info' };

const node = {
  ...common,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // jsonc-parser's UMD build hides its requires from esbuild; its ESM build bundles cleanly.
  mainFields: ['module', 'main'],
  // onnxruntime-node loads its native binding relative to its own package.
  external: ['vscode', '@tensorflow/*', 'mnist', 'onnxruntime-node', 'onnxruntime-node/*'],
};

const builds = [
  { ...node, entryPoints: { extension: 'src/extension/extension.ts' }, outdir: 'dist' },
  { ...node, entryPoints: { engine: 'src/engine/main.ts', cli: 'src/cli/main.ts' }, outdir: 'dist' },
  { ...common, platform: 'browser', target: 'es2022', format: 'iife', entryPoints: { webview: 'webview/index.ts' }, outdir: 'dist/webview' },
];

// kd.json's JSON Schema for the editor, generated from the zod schema (src/protocol/config.ts).
const schemaGen = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/gen-schema.ts', 'dist/kd.schema.json'], { stdio: 'inherit' });
if (schemaGen.status !== 0) throw new Error('generating dist/kd.schema.json failed (scripts/gen-schema.ts)');

// The bundled digits as IDX files beside dist/engine.js, read at every run's start (data/sources.ts).
const digitsGen = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/gen-digits.ts', 'dist'], { stdio: 'inherit' });
if (digitsGen.status !== 0) throw new Error('writing the bundled digits as IDX (scripts/gen-digits.ts) failed');

const contexts = await Promise.all(builds.map((b) => esbuild.context(b)));
if (watch) {
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
}
