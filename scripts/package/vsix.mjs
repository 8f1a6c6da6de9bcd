// `npm run package [-- --target linux-x64]`: the .vsix, built from what ships and nothing else.
// A stage folder (.package/<target>/) gets the self-contained bundles (scripts/build.mjs
// --self-contained: tfjs inside the engine, its wasm binaries beside it), media, README, LICENSE,
// CHANGELOG and the manifest without the development fields; vsce packages that folder with
// --no-dependencies, so no node_modules walk can add files. A --target package also carries that
// platform's sharp and onnxruntime-node (natives.mjs) in dist/node_modules/.
// The size and file count are printed and checked against the budget (budget.mjs): above it, the
// build fails. Prints the .vsix path last; --json prints the measurements as JSON instead.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import sharp from 'sharp';
import { REPO_ROOT } from '../testbed/util.mjs';
import { stageNatives } from './natives.mjs';
import { checkBudget, measureVsix } from './budget.mjs';

/** Root files the .vsix carries beside dist/ and media/. */
const SHIPPED_FILES = ['README.md', 'LICENSE', 'CHANGELOG.md'];
/** Manifest fields for development only: the stage's package.json leaves them out. */
const DEV_FIELDS = ['scripts', 'devDependencies', 'dependencies', 'optionalDependencies', 'bin', 'private', 'files'];

const say = (msg) => console.error(`[package] ${msg}`);

/** Runs a build step; `quiet` keeps its output for a failure's message (the tests use it). */
function run(cmd, args, cwd, quiet) {
  const r = spawnSync(cmd, args, { cwd, stdio: quiet ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'inherit', 'inherit'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status})${quiet ? `:\n${r.stdout}${r.stderr}` : ''}`);
}

/** Builds and packages one .vsix; returns its path and measurements. */
export async function packageVsix({ target, outDir = REPO_ROOT, quiet = false } = {}) {
  const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
  const stage = path.join(REPO_ROOT, '.package', target ?? 'universal');
  fs.rmSync(stage, { recursive: true, force: true });
  fs.mkdirSync(stage, { recursive: true });

  run(process.execPath, ['scripts/build.mjs', '--self-contained', '--outdir', path.join(stage, 'dist')], REPO_ROOT, quiet);
  // The README's screenshots are shown from the repository (vsce points relative links there), not shipped.
  fs.cpSync(path.join(REPO_ROOT, 'media'), path.join(stage, 'media'), { recursive: true, filter: (src) => !src.includes(`${path.sep}screenshots`) });
  // The Marketplace wants a PNG icon; media/icon.svg is its source.
  await sharp(path.join(REPO_ROOT, 'media', 'icon.svg'), { density: 300 })
    .resize(128, 128)
    .png()
    .toFile(path.join(stage, manifest.icon));
  for (const f of SHIPPED_FILES) fs.copyFileSync(path.join(REPO_ROOT, f), path.join(stage, f));
  const shipped = Object.fromEntries(Object.entries(manifest).filter(([k]) => !DEV_FIELDS.includes(k)));
  fs.writeFileSync(path.join(stage, 'package.json'), JSON.stringify(shipped, null, 2) + '\n');
  fs.writeFileSync(path.join(stage, '.vscodeignore'), '# Everything in this stage folder ships (scripts/package/vsix.mjs).\n');
  const natives = target ? stageNatives(target, path.join(stage, 'dist', 'node_modules')) : undefined;

  fs.mkdirSync(outDir, { recursive: true });
  const vsix = path.join(outDir, `${manifest.name}-${manifest.version}${target ? `-${target}` : ''}.vsix`);
  const vsce = path.join(REPO_ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');
  run(process.execPath, [vsce, 'package', '--no-dependencies', '--out', vsix, ...(target ? ['--target', target] : [])], stage, quiet);
  const measured = measureVsix(vsix);
  return { vsix, target: target ?? 'universal', natives: natives && { files: natives.files.length, bytes: natives.bytes }, ...measured };
}

async function main() {
  const { values: opts } = parseArgs({ options: { target: { type: 'string', multiple: true }, json: { type: 'boolean' }, out: { type: 'string' } } });
  const targets = opts.target?.length ? opts.target : [undefined];
  const results = [];
  for (const target of targets) {
    const r = await packageVsix({ target, outDir: opts.out ? path.resolve(opts.out) : REPO_ROOT });
    const verdict = checkBudget(r);
    for (const line of verdict.lines) say(line);
    results.push({ ...r, ok: verdict.ok });
  }
  if (opts.json) console.log(JSON.stringify(results, null, 2));
  else for (const r of results) console.log(r.vsix);
  if (!results.every((r) => r.ok)) process.exit(1);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err) => {
    say(`FAILED: ${err.message ?? err}`);
    process.exit(1);
  });
}
