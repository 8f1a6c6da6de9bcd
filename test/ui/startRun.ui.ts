/**
 * A person opens kd.json, runs "Distill: Start Run" from the command palette and waits:
 * the run folder completes, and the notification tells them the honest result — the same
 * verdict the run's summary.json supports.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { verdict } from '../../src/protocol/format';
import { FILES, listRunDirs, readSummary, runsRootFor } from '../../src/protocol/runFolder';
import type { RunSummary } from '../../src/protocol/events';
import type { UiCheck } from './context';

const check: UiCheck = {
  name: 'Distill: Start Run from the command palette shows the result',
  async run({ page, workspace, screenshot, runCommand, quickOpen, waitFor, log }) {
    const kdJson = path.join(workspace, 'kd.json');
    const runsRoot = runsRootFor(kdJson);
    const before = new Set(listRunDirs(runsRoot));

    await quickOpen('kd.json');
    await screenshot('01-kd-json-open');

    await runCommand('Distill: Start Run');
    const runDir = await waitFor(`a new run folder in ${runsRoot}`, () => listRunDirs(runsRoot).find((d) => !before.has(d)), { timeoutMs: 30_000 });
    log(`run folder: ${path.relative(workspace, runDir)}`);
    const progress = page.locator('.notification-toast', { hasText: 'Distill' }).first();
    await progress.waitFor({ state: 'visible', timeout: 30_000 }).catch(() => {
      throw new Error('no "Distill …" progress notification appeared within 30s of Start Run');
    });
    await screenshot('02-run-in-progress');

    const summary: RunSummary = await waitFor(`${FILES.summary} in ${runDir}`, () => readSummary(runDir), { timeoutMs: 5 * 60_000, intervalMs: 500 });
    assert.equal(summary.status, 'done', `the run ended ${summary.status}: ${summary.error ?? ''}`);
    assert.ok(fs.existsSync(path.join(runDir, FILES.student, 'model.json')), 'student/model.json was saved');

    // What the person sees: a notification with the run's name, status and the verdict.
    // An earlier check in this workbench may have left its own run's toast; this run's carries its verdict.
    const expected = verdict(summary);
    const toast = page.locator('.notification-toast', { hasText: expected }).first();
    await toast.waitFor({ state: 'visible', timeout: 30_000 }).catch(() => {
      throw new Error(`no "${summary.name}: done … ${expected}" notification appeared within 30s of summary.json`);
    });
    const text = (await toast.innerText()).replace(/\s+/g, ' ');
    assert.ok(
      text.includes(`${summary.name}: done`) && text.includes(expected),
      `the notification says "${text}", expected "${summary.name}: done …" with "${expected}"`,
    );
    log(`notification: ${text}`);
    await screenshot('03-run-done-notification');

    // And the Distillery output channel tells the story of the run.
    await runCommand('Distill: Show Engine Log');
    const output = page.locator('.part.panel .monaco-editor .view-lines');
    await waitFor(
      `the Distillery output channel to show "[${summary.runId}] engine exited"`,
      async () => {
        const lines = (await output.innerText().catch(() => '')).replace(/\u00a0/g, ' ');
        return lines.includes(`[${summary.runId}] engine exited`);
      },
      { timeoutMs: 30_000 },
    );
    await screenshot('04-output-channel');
  },
};

export default check;
