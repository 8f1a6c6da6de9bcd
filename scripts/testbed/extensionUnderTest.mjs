// Which Distillery the suites test. By default the packaged one: `npm run package`'s .vsix
// (scripts/package/vsix.mjs, budget checked), installed into this run's extensions folder with
// code-server's `--install-extension`, the way a person installs it. Its folder there is what runs,
// so the engine has to find its wasm files, digits and schema inside what the .vsix shipped.
//   DISTILLERY_TEST_VSIX=<file>    test that .vsix instead of building one
//   DISTILLERY_TEST_EXTENSION=dev  the development folder (the repo, built with npm run build): quick local runs
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { CODE_SERVER_ENTRY, REPO_ROOT } from './util.mjs';

export const devMode = () => process.env.DISTILLERY_TEST_EXTENSION === 'dev';

function manifestOf(dir) {
  return JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
}

/** The .vsix to test: DISTILLERY_TEST_VSIX, else a fresh `npm run package` (which fails above the budget). */
function vsixUnderTest(say) {
  const given = process.env.DISTILLERY_TEST_VSIX;
  if (given) {
    if (!fs.existsSync(given)) throw new Error(`DISTILLERY_TEST_VSIX=${given} does not exist`);
    return path.resolve(given);
  }
  say('packaging the extension (npm run package; DISTILLERY_TEST_EXTENSION=dev tests the development folder instead)');
  const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'package', 'vsix.mjs')], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0) throw new Error('npm run package failed (see above): the suites test the packaged extension');
  return r.stdout.trim().split('\n').pop();
}

/**
 * Puts the extension under test into `extensionsDir` (the folder code-server was started with)
 * and returns its id, version and folder: the installed .vsix, or in dev mode a link to the repo.
 */
export function installExtensionUnderTest({ extensionsDir, userDataDir }, say = console.log) {
  const { publisher, name, version, main } = manifestOf(REPO_ROOT);
  const id = `${publisher}.${name}`;
  if (devMode()) {
    if (main && !fs.existsSync(path.join(REPO_ROOT, main)))
      throw new Error(`the extension's main ${path.join(REPO_ROOT, main)} does not exist; run: npm run build`);
    const link = path.join(extensionsDir, `${id}-${version}`);
    fs.symlinkSync(REPO_ROOT, link, 'dir');
    return { id, version, dir: link, from: `the development folder ${REPO_ROOT}` };
  }
  const vsix = vsixUnderTest(say);
  const args = [CODE_SERVER_ENTRY, '--extensions-dir', extensionsDir, '--user-data-dir', userDataDir, '--install-extension', vsix];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`code-server --install-extension ${vsix} failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
  const dir = path.join(extensionsDir, `${id}-${version}`);
  if (!fs.existsSync(path.join(dir, 'package.json'))) throw new Error(`installing ${vsix} left no ${dir}:\n${r.stdout}${r.stderr}`);
  return { id, version, dir, from: path.relative(REPO_ROOT, vsix) };
}
