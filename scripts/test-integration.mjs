// Runs the integration suites (test/integration, bundled to out/) inside a real VS Code:
//   - desktop VS Code via @vscode/test-electron when one is here (VSCODE_EXECUTABLE, or `code`
//     on PATH); nothing is downloaded;
//   - otherwise code-server 4.99.4 (VS Code 1.99.3) driven by headless Chromium, with the packaged
//     .vsix installed (testbed/extensionUnderTest.mjs; DISTILLERY_TEST_EXTENSION=dev: the repo)
//     and its installed folder as the development extension that out/tests.js runs in.
// Either way the suites write a results file from inside the extension host (path in
// DISTILLERY_TEST_RESULTS); this copies it to test-results/integration/results.json, prints
// it, and exits non-zero on any failure.
//
// Options: --extension <dir> (default: the installed .vsix; the repo for desktop VS Code), --tests <file> (default: out/tests.js),
//          --workspace <dir> (default: test/fixtures/workspace, copied fresh each run),
//          --timeout <seconds> (default 900, or DISTILLERY_TEST_TIMEOUT_S).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { REPO_ROOT, CODE_SERVER_VERSION, TEST_RESULTS, copyDir, ensureTestbed, findDesktopVSCode, waitFor } from './testbed/util.mjs';
import { startCodeServer, vscodeLogFiles } from './testbed/codeServer.mjs';
import { installExtensionUnderTest } from './testbed/extensionUnderTest.mjs';
import { launchBrowser, openWorkbench } from './testbed/browser.mjs';
import { printResults, readResults } from './testbed/results.mjs';

const { values: opts } = parseArgs({
  options: {
    extension: { type: 'string' },
    tests: { type: 'string' },
    workspace: { type: 'string', default: path.join(REPO_ROOT, 'test', 'fixtures', 'workspace') },
    timeout: { type: 'string', default: process.env.DISTILLERY_TEST_TIMEOUT_S ?? '900' },
  },
});
const extensionPath = path.resolve(opts.extension ?? REPO_ROOT);
const timeoutMs = Number(opts.timeout) * 1000;
const ARTIFACTS = path.join(TEST_RESULTS, 'integration');
// The extension host writes into this run's own state folder (so that two runs at once do not
// read each other's results); the launcher copies it to test-results/integration/results.json.
const RESULTS_NAME = 'results.json';
const say = (msg) => console.log(`[integration] ${msg}`);

function prepare() {
  let testsPath = opts.tests && path.resolve(opts.tests);
  if (!testsPath) {
    const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'build-tests.mjs')], { cwd: REPO_ROOT, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('bundling the integration tests failed (scripts/build-tests.mjs)');
    testsPath = path.join(REPO_ROOT, 'out', 'tests.js');
  }
  if (!fs.existsSync(testsPath)) throw new Error(`the tests entry ${testsPath} does not exist`);
  const manifest = JSON.parse(fs.readFileSync(path.join(extensionPath, 'package.json'), 'utf8'));
  const main = manifest.main && path.join(extensionPath, manifest.main);
  if (main && !fs.existsSync(main)) throw new Error(`the extension's main ${main} does not exist; run: npm run build`);

  fs.rmSync(ARTIFACTS, { recursive: true, force: true });
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-it-'));
  const workspace = path.join(stateDir, 'workspace');
  copyDir(opts.workspace, workspace);
  const resultsFile = path.join(stateDir, RESULTS_NAME);
  return { testsPath, stateDir, workspace, resultsFile, id: `${manifest.publisher}.${manifest.name}` };
}

async function viaTestElectron(vscodeExecutablePath, { testsPath, stateDir, workspace, resultsFile }) {
  say(`runner: @vscode/test-electron with the desktop VS Code at ${vscodeExecutablePath}`);
  const { runTests } = await import('@vscode/test-electron');
  try {
    await runTests({
      vscodeExecutablePath,
      extensionDevelopmentPath: extensionPath,
      extensionTestsPath: testsPath,
      extensionTestsEnv: { DISTILLERY_TEST_RESULTS: resultsFile },
      launchArgs: [
        workspace,
        '--disable-extensions',
        '--disable-workspace-trust',
        '--skip-welcome',
        '--skip-release-notes',
        `--user-data-dir=${path.join(stateDir, 'user-data')}`,
        `--extensions-dir=${path.join(stateDir, 'extensions')}`,
      ],
      timeout: timeoutMs,
    });
  } catch (err) {
    say(`VS Code exited with a failure: ${err.message ?? err}`);
  }
  const results = readResults(resultsFile);
  if (!results) {
    for (const f of vscodeLogFiles(path.join(stateDir, 'user-data')))
      copyArtifact(f, path.join('vscode-logs', path.relative(path.join(stateDir, 'user-data', 'logs'), f)));
    throw new Error(`the tests wrote no results to ${resultsFile}`);
  }
  return { results, runner: '@vscode/test-electron, desktop' };
}

function copyArtifact(from, name) {
  const to = path.join(ARTIFACTS, name);
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(from, to);
  return to;
}

async function viaCodeServer({ testsPath, stateDir, workspace, resultsFile, id }) {
  say(`runner: code-server ${CODE_SERVER_VERSION} + headless Chromium (no desktop VS Code: set VSCODE_EXECUTABLE or put \`code\` on PATH to use one)`);
  ensureTestbed();
  const started = Date.now();
  const left = () => Math.max(1_000, timeoutMs - (Date.now() - started));
  let server;
  let browser;
  const consoleLines = [];
  try {
    server = await startCodeServer({ stateDir, folder: workspace, env: { DISTILLERY_TEST_RESULTS: resultsFile } });
    say(`code-server is up at ${server.url} (log: ${server.logFile})`);
    browser = await launchBrowser();
    const { page } = browser;
    page.on('console', (m) => consoleLines.push(`[${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.message}`));

    const ext = opts.extension ? { dir: extensionPath, from: 'the --extension folder' } : installExtensionUnderTest(server, say);
    const url = server.workbenchUrl({ folder: workspace, extensionDevelopmentPath: ext.dir, extensionTestsPath: testsPath });
    await openWorkbench(page, url);
    const title = await waitFor(
      'the window title to say [Extension Development Host]',
      async () => {
        const t = await page.title();
        return t.startsWith('[Extension Development Host]') && t;
      },
      { timeoutMs: 60_000 },
    );
    say(`workbench is up: "${title}"; ${id} is loaded from ${ext.dir} (${ext.from}); waiting for the suites (up to ${Math.round(left() / 1000)}s)`);

    const results = await waitFor(
      `${resultsFile} from the extension host`,
      () => {
        const r = readResults(resultsFile);
        if (r) return r;
        const exited = server.exited();
        if (exited) throw Object.assign(new Error(`code-server exited (${JSON.stringify(exited)}) before the tests wrote results`), { fatal: true });
        return undefined;
      },
      { timeoutMs: left(), intervalMs: 500 },
    );
    return { results, runner: `code-server ${CODE_SERVER_VERSION}, web`, server, browser, consoleLines };
  } catch (err) {
    err.context = { server, browser, consoleLines };
    throw err;
  }
}

async function saveFailureArtifacts({ server, browser, consoleLines = [] } = {}) {
  const saved = [];
  if (browser?.page) {
    const shot = path.join(ARTIFACTS, 'failure.png');
    await browser.page.screenshot({ path: shot, timeout: 15_000 }).then(
      () => saved.push(shot),
      () => {},
    );
  }
  if (consoleLines.length) {
    const f = path.join(ARTIFACTS, 'browser-console.log');
    fs.writeFileSync(f, consoleLines.join('\n') + '\n');
    saved.push(f);
  }
  if (server) {
    if (fs.existsSync(server.logFile)) saved.push(copyArtifact(server.logFile, 'code-server.log'));
    const logsRoot = path.join(server.userDataDir, 'logs');
    for (const f of vscodeLogFiles(server.userDataDir)) saved.push(copyArtifact(f, path.join('vscode-logs', path.relative(logsRoot, f))));
  }
  if (saved.length) {
    say('saved for diagnosis:');
    for (const f of saved) console.log(`  ${path.relative(REPO_ROOT, f)}`);
    const hostLogs = saved.filter((f) => /exthost/i.test(f));
    if (!hostLogs.length) say('(no extension host log was found under the user-data logs folder)');
  }
}

async function main() {
  const t0 = Date.now();
  const prepared = prepare();
  const desktop = findDesktopVSCode();
  let ctx = {};
  let ok = false;
  try {
    ctx = desktop ? await viaTestElectron(desktop, prepared) : await viaCodeServer(prepared);
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    fs.copyFileSync(prepared.resultsFile, path.join(ARTIFACTS, RESULTS_NAME));
    ok = printResults(ctx.results, { runner: ctx.runner });
    if (!ok) await saveFailureArtifacts(ctx);
  } catch (err) {
    console.error(`[integration] FAILED: ${err.message ?? err}`);
    ctx = err.context ?? {};
    await saveFailureArtifacts(ctx);
  } finally {
    await ctx.browser?.close();
    await ctx.server?.stop();
  }
  say(`${ok ? 'passed' : 'FAILED'} in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  if (ok) fs.rmSync(prepared.stateDir, { recursive: true, force: true });
  else say(`state kept for diagnosis in ${prepared.stateDir}`);
  process.exit(ok ? 0 : 1);
}

main().catch((err) => {
  console.error(`[integration] FAILED: ${err.stack ?? err}`);
  process.exit(1);
});
