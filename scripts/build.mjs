// One esbuild pass per process boundary: the extension host (vscode external, never tfjs),
// the engine child process and the CLI (tfjs stays in node_modules: its native and wasm
// backends load files relative to their own package), and the webviews (browser, self-contained:
// webview.js plus the webview.css esbuild extracts from its CSS imports, nothing fetched remotely).
// `--self-contained --outdir DIR` is the .vsix's build (scripts/package/vsix.mjs): tfjs bundled
// into the engine, its wasm binaries copied beside it, so the extension ships no node_modules.
// Native packages (sharp, onnxruntime-node, tfjs-node) stay external in every build.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const resolveModule = createRequire(import.meta.url).resolve;

const watch = process.argv.includes('--watch');
const selfContained = process.argv.includes('--self-contained');
const production = selfContained || process.argv.includes('--production');
const outIndex = process.argv.indexOf('--outdir');
const dist = outIndex > 0 ? process.argv[outIndex + 1] : 'dist';
const common = { bundle: true, sourcemap: !production, minify: production, logLevel: selfContained ? 'warning' : 'info' };
const NATIVE = ['sharp', 'onnxruntime-node', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'];

// zod re-exports its ~50 message locales as `z.locales`, which nothing here uses (its default
// English messages come from locales/en.js directly): bundling only English drops ~250 KB from each
// node bundle, time the extension host spends compiling the host bundle at every activation.
const englishOnlyZod = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      args.importer.includes(`${path.sep}zod${path.sep}`) ? { path: path.join(path.dirname(args.importer), '..', 'locales', 'en.js') } : undefined,
    );
  },
};

const node = {
  ...common,
  plugins: [englishOnlyZod],
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // jsonc-parser's UMD build hides its requires from esbuild; its ESM build bundles cleanly.
  mainFields: ['module', 'main'],
  external: ['vscode', 'mnist', ...NATIVE, ...(selfContained ? ['@tensorflow/tfjs-backend-wasm/package.json'] : ['@tensorflow/*'])],
};

const builds = [
  // tfjs stays external to the host bundle in every build: a stray import fails there, never ships.
  { ...node, external: [...node.external, '@tensorflow/*'], entryPoints: { extension: 'src/extension/extension.ts' }, outdir: dist },
  { ...node, entryPoints: { engine: 'src/engine/main.ts', cli: 'src/cli/main.ts' }, outdir: dist },
  { ...common, platform: 'browser', target: 'es2022', format: 'iife', entryPoints: { webview: 'webview/index.ts' }, outdir: path.join(dist, 'webview') },
];

// kd.json's JSON Schema for the editor, generated from the zod schema (src/protocol/config.ts).
const schemaGen = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/gen-schema.ts', path.join(dist, 'kd.schema.json')], { stdio: 'inherit' });
if (schemaGen.status !== 0) throw new Error('generating dist/kd.schema.json failed (scripts/gen-schema.ts)');

// The bundled digits as IDX files beside dist/engine.js, read at every run's start (data/sources.ts).
const digitsGen = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/gen-digits.ts', dist], { stdio: 'inherit' });
if (digitsGen.status !== 0) throw new Error('writing the bundled digits as IDX (scripts/gen-digits.ts) failed');

// The wasm backend's binaries beside a self-contained engine (src/engine/backend/select.ts looks there first).
// Only the single-threaded builds: the threaded one needs a blob: worker that Node refuses.
if (selfContained) {
  const wasmDist = path.join(path.dirname(resolveModule('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  for (const f of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm']) fs.copyFileSync(path.join(wasmDist, f), path.join(dist, f));
}

const contexts = await Promise.all(builds.map((b) => esbuild.context(b)));
if (watch) {
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
}
