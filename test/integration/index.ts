/**
 * The entry VS Code calls (`extensionTestsPath` → out/tests.js) inside its extension host,
 * under code-server and under @vscode/test-electron alike. It runs the bundled suites with
 * mocha and writes the results, plus the VS Code version that ran them, to a JSON file the
 * launcher (scripts/test-integration.mjs) reads: the extension host's stdout is not ours to
 * read under code-server, a file is.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import Mocha from 'mocha';

/** Where the launcher wants the results; falls back to <repo>/test-results/integration/. */
export const RESULTS_ENV = 'DISTILLERY_TEST_RESULTS';

function resultsPath(): string {
  return process.env[RESULTS_ENV] || path.resolve(__dirname, '..', 'test-results', 'integration', 'results.json');
}

function writeAtomically(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(value, null, 2));
  fs.renameSync(tmp, file);
}

function host() {
  return {
    version: vscode.version,
    appName: vscode.env.appName,
    appHost: vscode.env.appHost,
    remoteName: vscode.env.remoteName ?? null,
    uiKind: vscode.env.uiKind === vscode.UIKind.Web ? 'web' : 'desktop',
    node: process.version,
  };
}

export async function run(): Promise<void> {
  const out = resultsPath();
  const raw = out.replace(/\.json$/, '') + '.mocha.json';
  for (const f of [out, raw]) fs.rmSync(f, { force: true });

  try {
    const mocha = new Mocha({
      ui: 'bdd',
      timeout: 120_000,
      color: false,
      reporter: 'json',
      reporterOptions: { output: raw },
    });
    if (process.env.DISTILLERY_TEST_GREP) mocha.grep(process.env.DISTILLERY_TEST_GREP);
    const suitesDir = path.join(__dirname, 'integration');
    const files = fs
      .readdirSync(suitesDir)
      .filter((f) => f.endsWith('.test.js'))
      .sort();
    if (files.length === 0) throw new Error(`no integration suites (*.test.js) in ${suitesDir}`);
    for (const f of files) mocha.addFile(path.join(suitesDir, f));

    const failures = await new Promise<number>((resolve) => mocha.run(resolve));
    const report = JSON.parse(fs.readFileSync(raw, 'utf8'));
    writeAtomically(out, { host: host(), ...report });
    fs.rmSync(raw, { force: true });
    if (failures > 0) throw new Error(`${failures} integration test(s) failed`);
  } catch (err) {
    if (!fs.existsSync(out)) {
      // Mocha never got to report (a suite failed to load, say): say so in the results.
      writeAtomically(out, { host: host(), error: err instanceof Error ? err.stack : String(err) });
    }
    throw err;
  }
}
