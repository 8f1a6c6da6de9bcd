/**
 * A person opens kd.json, runs "Distill: Start Run" from the command palette and waits:
 * the run folder completes, and the notification tells them the honest result — the same
 * verdict the run's summary.json supports. Every notification names the run (name and id),
 * and a second Start Run while it trains asks: open it, queue this one, or run both.
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
    // The progress notification names the run: its kd.json name and its run id (runs/runNotices.ts).
    const runId = path.basename(runDir);
    const label = `"${JSON.parse(fs.readFileSync(kdJson, 'utf8')).name}" (${runId})`;
    const progress = page.locator('.notification-toast', { hasText: `Distill ${label}` }).first();
    await progress.waitFor({ state: 'visible', timeout: 30_000 }).catch(() => {
      throw new Error(`no "Distill ${label}" progress notification appeared within 30s of Start Run`);
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
      throw new Error(`no "${label}: done … ${expected}" notification appeared within 30s of summary.json`);
    });
    const text = (await toast.innerText()).replace(/\s+/g, ' ');
    assert.ok(text.includes(`${label}: done`) && text.includes(expected), `the notification says "${text}", expected "${label}: done …" with "${expected}"`);
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

    // A second Start Run while a run is live asks what is meant (runs/runQueue.ts). A long run,
    // so that it is surely still training when the question comes; "Open" starts nothing.
    const longKd = path.join(workspace, 'long.kd.json');
    const beforeLong = new Set(listRunDirs(runsRoot));
    await quickOpen('long.kd.json');
    await runCommand('Distill: Start Run');
    const longDir = await waitFor('the long run folder', () => listRunDirs(runsRoot).find((d) => !beforeLong.has(d)), { timeoutMs: 30_000 });
    const longLabel = `"${JSON.parse(fs.readFileSync(longKd, 'utf8')).name}" (${path.basename(longDir)})`;
    await waitFor(`events in ${longDir}`, () => fs.existsSync(path.join(longDir, FILES.events)), { timeoutMs: 60_000 });
    await quickOpen('long.kd.json');
    await runCommand('Distill: Start Run');
    const question = page.locator('.quick-input-widget', { hasText: '"long" is live. Start "long" too?' });
    await question.waitFor({ state: 'visible', timeout: 30_000 }).catch(() => {
      throw new Error('no question \'"long" is live. Start "long" too?\' appeared for a second Start Run');
    });
    const rows = question.locator('.quick-input-list .monaco-list-row');
    const labels = (await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
    log(`the second Start Run asks: ${labels.join(' | ')}`);
    for (const [i, want] of [`Open ${longLabel}`, 'Queue this run', 'Run both now'].entries()) {
      assert.ok(labels[i]?.includes(want), `answer ${i + 1} is "${labels[i]}", expected "${want}"`);
    }
    await screenshot('05-second-start-asks');
    await rows.first().click();
    await question.waitFor({ state: 'hidden', timeout: 10_000 });
    assert.deepEqual(
      listRunDirs(runsRoot).filter((d) => !beforeLong.has(d)),
      [longDir],
      '"Open" started no second run',
    );
    // Its progress notification, named by the run, stops it with Cancel (the webview has the keyboard's focus now).
    await page
      .locator('.notification-toast', { hasText: `Distill ${longLabel}` })
      .first()
      .getByRole('button', { name: 'Cancel' })
      .click();
    const stopped = await waitFor(`${FILES.summary} in ${longDir}`, () => readSummary(longDir), { timeoutMs: 60_000, intervalMs: 250 });
    assert.equal(stopped.status, 'stopped');
    const stoppedToast = page.locator('.notification-toast', { hasText: `${longLabel}: stopped` }).first();
    await stoppedToast.waitFor({ state: 'visible', timeout: 30_000 }).catch(() => {
      throw new Error(`no "${longLabel}: stopped …" notification appeared after Stop Run`);
    });
    await screenshot('06-stopped-notification');
  },
};

export default check;
