// UI checks in the real workbench: code-server 4.99.4 (VS Code 1.99.3) in headless Chromium,
// with Distillery installed the way a person has it (the packaged .vsix, `--install-extension`:
// testbed/extensionUnderTest.mjs; activated by its own activation events). Each test/ui/*.ui.ts
// default-exports a check; this runs them in order against one window.
//
// Run with `node --import tsx scripts/test-ui.mjs` (npm run test:ui) so the checks can be TS.
// Options: --workspace <dir> (default test/fixtures/workspace, copied fresh), --only <text>.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT, TEST_RESULTS, CODE_SERVER_VERSION, copyDir, ensureTestbed, waitFor } from './testbed/util.mjs';
import { codeVersionFromProduct, startCodeServer, vscodeLogFiles } from './testbed/codeServer.mjs';
import { launchBrowser, openWorkbench, quickOpen, runCommand } from './testbed/browser.mjs';
import { installExtensionUnderTest } from './testbed/extensionUnderTest.mjs';

const { values: opts } = parseArgs({
  options: {
    workspace: { type: 'string', default: path.join(REPO_ROOT, 'test', 'fixtures', 'workspace') },
    only: { type: 'string' },
  },
});
const ARTIFACTS = path.join(TEST_RESULTS, 'ui');
const SCREENSHOTS = path.join(TEST_RESULTS, 'screenshots');
const say = (msg) => console.log(`[ui] ${msg}`);

async function loadChecks() {
  const dir = path.join(REPO_ROOT, 'test', 'ui');
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.ui.ts'))
    .sort();
  const checks = [];
  for (const f of files) {
    const mod = await import(pathToFileURL(path.join(dir, f)).href);
    const check = mod.default?.default ?? mod.default;
    if (!check?.run) throw new Error(`test/ui/${f} must default-export { name, run(ctx) }`);
    if (!opts.only || check.name.includes(opts.only)) checks.push({ file: f, ...check });
  }
  if (!checks.length) throw new Error(`no UI checks found in test/ui/*.ui.ts${opts.only ? ` matching "${opts.only}"` : ''}`);
  return checks;
}

async function main() {
  const t0 = Date.now();
  ensureTestbed();
  const checks = await loadChecks();
  fs.rmSync(ARTIFACTS, { recursive: true, force: true });
  fs.rmSync(SCREENSHOTS, { recursive: true, force: true });
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-ui-'));
  const workspace = path.join(stateDir, 'workspace');
  copyDir(opts.workspace, workspace);

  let server;
  let browser;
  const consoleLines = [];
  const results = [];
  try {
    server = await startCodeServer({ stateDir, folder: workspace });
    const ext = installExtensionUnderTest(server, say);
    say(
      `code-server ${CODE_SERVER_VERSION} (VS Code ${codeVersionFromProduct()}) at ${server.url}; ${ext.id} ${ext.version} installed as ${path.relative(stateDir, ext.dir)} from ${ext.from}`,
    );
    browser = await launchBrowser();
    const { page } = browser;
    page.on('console', (m) => consoleLines.push(`[${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.message}`));
    await openWorkbench(page, server.workbenchUrl({ folder: workspace }));
    const title = await page.title();
    if (title.startsWith('[Extension Development Host]')) throw new Error('expected a normal window, with the extension installed, not a development host');

    const ctx = {
      page,
      workspace,
      log: (m) => say(`  ${m}`),
      async screenshot(name) {
        const file = path.join(SCREENSHOTS, `${name}.png`);
        await page.screenshot({ path: file, animations: 'disabled' });
        return file;
      },
      runCommand: (title) => runCommand(page, title),
      quickOpen: (name) => quickOpen(page, name),
      waitFor: (what, check, o) => waitFor(what, check, o),
    };
    for (const check of checks) {
      const start = Date.now();
      say(`${check.name} (${check.file})`);
      try {
        await check.run(ctx);
        results.push({ name: check.name, ok: true, ms: Date.now() - start });
        say(`  ✓ passed in ${((Date.now() - start) / 1000).toFixed(1)}s`);
      } catch (err) {
        results.push({ name: check.name, ok: false, ms: Date.now() - start, error: err });
        say(`  ✗ FAILED: ${err.stack ?? err}`);
        await page.screenshot({ path: path.join(ARTIFACTS, `failure-${check.file.replace(/\.ui\.ts$/, '')}.png`) }).catch(() => {});
      }
    }
  } catch (err) {
    results.push({ name: 'test bed', ok: false, error: err });
    say(`FAILED: ${err.stack ?? err}`);
    await browser?.page.screenshot({ path: path.join(ARTIFACTS, 'failure.png') }).catch(() => {});
  } finally {
    const ok = results.length > 0 && results.every((r) => r.ok);
    if (!ok) {
      if (consoleLines.length) fs.writeFileSync(path.join(ARTIFACTS, 'browser-console.log'), consoleLines.join('\n') + '\n');
      if (server) {
        if (fs.existsSync(server.logFile)) fs.copyFileSync(server.logFile, path.join(ARTIFACTS, 'code-server.log'));
        const logsRoot = path.join(server.userDataDir, 'logs');
        for (const f of vscodeLogFiles(server.userDataDir)) {
          const to = path.join(ARTIFACTS, 'vscode-logs', path.relative(logsRoot, f));
          fs.mkdirSync(path.dirname(to), { recursive: true });
          fs.copyFileSync(f, to);
        }
      }
      say(`diagnostics saved under ${path.relative(REPO_ROOT, ARTIFACTS)}/; state kept in ${stateDir}`);
    }
    await browser?.close();
    await server?.stop();
    if (ok) fs.rmSync(stateDir, { recursive: true, force: true });
    const passed = results.filter((r) => r.ok).length;
    say(`${passed}/${results.length} UI checks passed in ${((Date.now() - t0) / 1000).toFixed(1)}s; screenshots in ${path.relative(REPO_ROOT, SCREENSHOTS)}/`);
    process.exit(ok ? 0 : 1);
  }
}

main().catch((err) => {
  console.error(`[ui] FAILED: ${err.stack ?? err}`);
  process.exit(1);
});
