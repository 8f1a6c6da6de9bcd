/**
 * A person starts a long run from a terminal (`distill run`) and looks at the Distillery
 * sidebar: the run is listed while it trains, with its stage, epoch and progress; when the run
 * is stopped (Ctrl+C in the terminal) the same row says so.
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { listRunDirs, readSummary, runsRootFor } from '../../src/protocol/runFolder';
import type { UiCheck } from './context';

const REPO_ROOT = path.join(__dirname, '..', '..');

const check: UiCheck = {
  name: 'Sidebar: a CLI run is listed live with its progress, then as stopped',
  async run({ page, workspace, screenshot, runCommand, waitFor, log }) {
    // A run long enough to be watched (a CNN teacher for 50 epochs); it is stopped once seen.
    const kdJson = path.join(workspace, 'sidebar.kd.json');
    fs.writeFileSync(
      kdJson,
      JSON.stringify({
        name: 'sidebar-live',
        backend: 'wasm',
        data: { source: 'mnist', limit: 2000 },
        teachers: [{ id: 't', architecture: { preset: 'cnn', filters: [32, 64], dense: [128] }, training: { epochs: 50, batchSize: 32 } }],
        student: { architecture: { preset: 'mlp', hidden: [16] } },
        training: { epochs: 50 },
      }),
    );
    const runsRoot = runsRootFor(kdJson);
    const before = new Set(listRunDirs(runsRoot));
    const cli = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'distill.js'), 'run', kdJson], { stdio: 'ignore' });
    try {
      const runDir = await waitFor(`the CLI's run folder in ${runsRoot}`, () => listRunDirs(runsRoot).find((d) => !before.has(d)), { timeoutMs: 30_000 });
      log(`CLI run: ${path.basename(runDir)}`);

      await runCommand('View: Show Distillery');
      // The run's row in the Runs view (the Teachers and Students view lists the kd.json by the same name).
      const runsPane = page.locator('.pane', { has: page.locator('.pane-header', { hasText: /^\s*Runs\b/i }) });
      const row = runsPane.locator('.monaco-list-row', { hasText: 'sidebar-live' }).first();
      // The tree learns of runs from its file watcher (and a periodic rescan); progress comes from the events.
      const live = await waitFor(
        'the run listed as training, with its epoch',
        async () => {
          const text = (await row.innerText().catch(() => '')).replace(/\s+/g, ' ');
          return /teacher epoch \d+\/50 · \d+%/.test(text) ? text : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 500 },
      );
      log(`live row: ${live}`);
      await screenshot('sidebar-01-live-run');

      cli.kill('SIGINT');
      const summary = await waitFor(`summary.json of the stopped run`, () => readSummary(runDir), { timeoutMs: 60_000, intervalMs: 500 });
      assert.equal(summary.status, 'stopped', `the CLI run ended ${summary.status}`);
      const stopped = await waitFor(
        'the same row showing "stopped"',
        async () => {
          const text = (await row.innerText().catch(() => '')).replace(/\s+/g, ' ');
          return text.includes('stopped') ? text : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 500 },
      );
      log(`stopped row: ${stopped}`);
      await screenshot('sidebar-02-run-stopped');
    } finally {
      if (cli.exitCode === null) cli.kill('SIGKILL');
      // The checks share one workbench: leave one kd.json per folder for the next.
      fs.rmSync(kdJson, { force: true });
    }
  },
};

export default check;
