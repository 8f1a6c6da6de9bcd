// The native parts of a platform package (`npm run package -- --target linux-x64`): sharp (image
// folders) and onnxruntime-node (ONNX teachers), each with only that platform's binaries and only
// the files `require()` loads: no sources, typings, maps, READMEs or install-time helpers.
// They go into <stage>/dist/node_modules/, where the engine bundle's `require('sharp')` finds them.
// A platform's sharp binaries that this machine did not install are fetched with `npm pack`
// (the npm registry, cached in .cache/natives/).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { REPO_ROOT } from '../testbed/util.mjs';

/** vsce targets whose binaries both native packages ship, and their names in each package. */
export const NATIVE_TARGETS = {
  'linux-x64': { sharp: 'linux-x64', ort: 'linux/x64' },
  'linux-arm64': { sharp: 'linux-arm64', ort: 'linux/arm64' },
  'darwin-arm64': { sharp: 'darwin-arm64', ort: 'darwin/arm64' },
  'win32-x64': { sharp: 'win32-x64', ort: 'win32/x64' },
  'win32-arm64': { sharp: 'win32-arm64', ort: 'win32/arm64' },
};

const NODE_MODULES = path.join(REPO_ROOT, 'node_modules');
const FETCHED = path.join(REPO_ROOT, '.cache', 'natives');

// What each package needs at run time; anything else in its folder stays out.
const NOT_RUNTIME = [
  /\.md$/i,
  /\.map$/,
  /\.d\.[cm]?ts$/,
  /\.ts$/,
  /\.mjs$/,
  /(^|\/)(src|install|include|script|node_modules|docs?|test)\//,
  /(^|\/)dist\/esm\//,
];
// onnxruntime-node's own dependencies download its CUDA libraries at install time.
const INSTALL_ONLY = new Set(['adm-zip', 'global-agent']);

function packageDir(name) {
  for (const root of [NODE_MODULES, path.join(FETCHED, 'node_modules')]) {
    const dir = path.join(root, name);
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
  }
  return undefined;
}

/** A package of the given version from the npm registry, unpacked under .cache/natives/node_modules/. */
function fetchPackage(name, version) {
  const dir = path.join(FETCHED, 'node_modules', name);
  fs.mkdirSync(FETCHED, { recursive: true });
  const packed = spawnSync('npm', ['pack', `${name}@${version}`, '--pack-destination', FETCHED, '--silent'], { encoding: 'utf8' });
  if (packed.status !== 0) throw new Error(`npm pack ${name}@${version} failed: ${packed.stderr.trim()}`);
  const tarball = path.join(FETCHED, packed.stdout.trim().split('\n').pop());
  fs.mkdirSync(dir, { recursive: true });
  const untar = spawnSync('tar', ['xzf', tarball, '-C', dir, '--strip-components=1']);
  if (untar.status !== 0) throw new Error(`unpacking ${tarball} failed`);
  fs.rmSync(tarball);
  return dir;
}

function listFiles(dir, rel = '') {
  return fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const r = rel ? `${rel}/${e.name}` : e.name;
    return e.isDirectory() ? listFiles(dir, r) : [r];
  });
}

/**
 * Copies sharp and onnxruntime-node with their run-time dependencies for one vsce target into
 * `into` (a node_modules folder). Returns the files copied (relative to `into`) and their bytes.
 */
export function stageNatives(target, into) {
  const names = NATIVE_TARGETS[target];
  if (!names) throw new Error(`no native binaries for target "${target}"; targets: ${Object.keys(NATIVE_TARGETS).join(', ')}`);
  const sharpVersion = JSON.parse(fs.readFileSync(path.join(NODE_MODULES, 'sharp', 'package.json'), 'utf8')).version;
  const otherOrt = (f) => f.startsWith('bin/') && !f.startsWith(`bin/napi-v6/${names.ort}/`);
  const files = [];
  let bytes = 0;
  const done = new Set();
  const queue = ['sharp', 'onnxruntime-node'];
  while (queue.length) {
    const name = queue.shift();
    if (done.has(name) || INSTALL_ONLY.has(name)) continue;
    done.add(name);
    const dir = packageDir(name) ?? fetchPackage(name, name.startsWith('@img/sharp-libvips') ? libvipsVersion(name) : sharpVersion);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    for (const f of listFiles(dir)) {
      if (NOT_RUNTIME.some((re) => re.test(f)) || (name === 'onnxruntime-node' && otherOrt(f))) continue;
      const to = path.join(into, name, f);
      fs.mkdirSync(path.dirname(to), { recursive: true });
      fs.copyFileSync(path.join(dir, f), to);
      files.push(`${name}/${f}`);
      bytes += fs.statSync(to).size;
    }
    queue.push(...Object.keys(manifest.dependencies ?? {}));
    // sharp finds its platform's binding (and that its libvips) among its optional dependencies.
    for (const opt of Object.keys(manifest.optionalDependencies ?? {})) {
      if (opt === `@img/sharp-${names.sharp}` || opt === `@img/sharp-libvips-${names.sharp}`) queue.push(opt);
    }
  }
  return { files, bytes };
}

function libvipsVersion(name) {
  const deps = JSON.parse(fs.readFileSync(path.join(NODE_MODULES, 'sharp', 'package.json'), 'utf8')).optionalDependencies;
  return deps[name];
}
