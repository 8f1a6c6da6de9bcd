/**
 * The webviews in the real workbench: Start Run opens the dashboard beside kd.json, whose
 * canvases draw; its teacher-vs-student cells equal summary.json's confusion matrices; and in
 * a sweep's view "Apply best to kd.json" changes kd.json on disk.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { listRunDirs, readSummary, runsRootFor } from '../../src/protocol/runFolder';
import type { RunSummary } from '../../src/protocol/events';
import type { Page } from 'playwright-core';
import type { UiCheck } from './context';
import { checkDoneDashboard } from './dashboardDone';
import { checkLiveThenStopped } from './dashboardView';

/** Our webview's document: outer iframe.webview of this extension, inner #active-frame. */
const webviewFrame = (page: Page, newest = false) => {
  const outer = page.frameLocator('iframe.webview[src*="extensionId=distillery.distillery"]');
  return (newest ? outer.last() : outer).frameLocator('iframe#active-frame');
};

const check: UiCheck = {
  name: 'Dashboard: live curves draw, confusion cells match summary.json, Apply best edits kd.json, a live run stops with partial results',
  async run({ page, workspace, screenshot, runCommand, quickOpen, waitFor, log }) {
    const kdJson = path.join(workspace, 'kd.json');
    const runsRoot = runsRootFor(kdJson);
    const before = new Set(listRunDirs(runsRoot));
    await quickOpen('kd.json');
    await runCommand('Distill: Start Run');
    const runDir = await waitFor('a new run folder', () => listRunDirs(runsRoot).find((d) => !before.has(d)), { timeoutMs: 30_000 });
    const frame = webviewFrame(page);
    await frame.locator('[data-testid=run-name]').waitFor({ state: 'visible', timeout: 60_000 });
    await screenshot('dashboard-01-live');
    const summary: RunSummary = await waitFor('summary.json', () => readSummary(runDir), { timeoutMs: 5 * 60_000, intervalMs: 500 });
    await waitFor('the dashboard to show done', async () => (await frame.locator('[data-testid=status]').innerText()).trim() === 'done', { timeoutMs: 30_000 });

    const inked = await frame.locator('canvas[data-chart]').evaluateAll((cs) =>
      (cs as HTMLCanvasElement[]).map((c) => {
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        for (let i = 3; i < d.length; i += 4) if (d[i]) return true;
        return false;
      }),
    );
    assert.deepEqual(inked, [true, true, true, true], 'loss, accuracy, distilled − scratch and learning-rate canvases have pixels');
    await checkDoneDashboard({ page, workspace, screenshot, runCommand, quickOpen, waitFor, log }, frame, summary);
    // The accuracy axis fits the accuracies (a 1.6-point gap must be visible), not always 0–100 %.
    const yRange = await frame
      .locator('canvas[data-chart=accuracy]')
      .evaluate((c) => [Number(c.getAttribute('data-y-min')), Number(c.getAttribute('data-y-max'))]);
    assert.ok(yRange[0] >= 0 && yRange[1] <= 1 && yRange[1] - yRange[0] < 1, `accuracy axis ${yRange.join('–')} narrower than 0–100 %`);
    log(`accuracy axis ${(yRange[0] * 100).toFixed(1)}–${(yRange[1] * 100).toFixed(1)} %`);
    assert.equal((await frame.locator('[data-testid=run-name]').innerText()).trim(), summary.name);
    await screenshot('dashboard-02-done');

    await frame.locator('vscode-tab-header[data-tab=confusion]').click();
    await frame.locator('table.matrix[data-model=student] td').first().waitFor({ timeout: 20_000 });
    for (const model of ['teacher', 'student'] as const) {
      const cells = await frame
        .locator(`table.matrix[data-model=${model}] td`)
        .evaluateAll((tds) =>
          tds.map((td) => [Number(td.getAttribute('data-actual')), Number(td.getAttribute('data-predicted')), Number(td.getAttribute('data-count'))]),
        );
      const m = summary[model]!.confusion;
      assert.equal(cells.length, m.length * m.length, `${model}: one cell per class pair`);
      for (const [i, j, c] of cells) assert.equal(c, m[i][j], `${model} cell (${i}, ${j})`);
    }
    log(`confusion cells match summary.json for ${summary.numClasses} classes`);
    // Beside kd.json the dashboard has half the editor: every matrix fits its card, no column cut off or scrolled away.
    const boxes = await frame.locator('table.matrix').evaluateAll((tables) =>
      tables.map((t) => {
        const scroll = t.parentElement!;
        const card = scroll.getBoundingClientRect();
        const r = t.getBoundingClientRect();
        return {
          model: t.getAttribute('data-model'),
          right: r.right,
          cardRight: card.right,
          overflow: scroll.scrollWidth - scroll.clientWidth,
          page: document.documentElement.clientWidth,
        };
      }),
    );
    for (const b of boxes) {
      assert.ok(b.right <= b.cardRight + 0.5 && b.right <= b.page, `${b.model} matrix inside its card and the panel: ${JSON.stringify(b)}`);
      assert.ok(b.overflow <= 0, `${b.model} matrix needs no scrolling: ${JSON.stringify(b)}`);
    }
    await screenshot('dashboard-03-confusion');

    // A finished sweep of the engine's format beside kd.json; its best trial sets T = 2.5.
    const sweepDir = path.join(workspace, '.distillery', 'sweeps', '20260101-000000-ui');
    fs.mkdirSync(sweepDir, { recursive: true });
    const trial = (id: string, t: number, acc: number) => ({
      id,
      kind: 'distill',
      params: { 'distillation.temperature': t },
      seed: 1,
      runDir: `trials/${id}`,
      configFile: `configs/${id}.kd.json`,
      status: 'done',
      metric: acc,
      valAccuracy: acc,
      testAccuracy: acc,
    });
    fs.writeFileSync(
      path.join(sweepDir, 'sweep.json'),
      JSON.stringify(
        {
          format: 'distillery-sweep/1',
          sweepId: path.basename(sweepDir),
          name: 'ui',
          configPath: kdJson,
          status: 'done',
          startedAt: new Date().toISOString(),
          metric: 'valAccuracy',
          metricLabel: 'validation accuracy',
          params: [{ path: 'distillation.temperature', values: [1, 2.5, 6] }],
          seeds: [1],
          epochs: 1,
          parallel: 1,
          trials: [
            trial('t1', 1, 0.61),
            trial('t2', 2.5, 0.7),
            trial('t3', 6, 0.64),
            {
              id: 'b1',
              kind: 'baseline',
              params: {},
              seed: 1,
              runDir: 'trials/b1',
              configFile: 'configs/b1.kd.json',
              status: 'done',
              metric: 0.6,
              valAccuracy: 0.6,
            },
          ],
          baseline: { trialIds: ['b1'], metric: { n: 1, mean: 0.6, sd: 0 } },
          aggregates: [],
          best: { trialId: 't2', params: { 'distillation.temperature': 2.5 }, seed: 1, metric: 0.7 },
          teacherCache: { dir: '', hits: 0, computed: 0 },
          notes: [],
        },
        null,
        2,
      ),
    );
    const kdBefore = fs.readFileSync(kdJson, 'utf8');
    // The quick pick lists the workspace's sweeps once its file search returns. A pick that
    // loses focus to the workbench (seen once in a busy CI run: the row there, the widget hidden)
    // is closed by VS Code, as for a person: then the command is run again, at most three times.
    const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: path.basename(sweepDir) }).first();
    for (let attempt = 1; ; attempt++) {
      await runCommand('Distill: Open Temperature Sweep');
      const shown = await row.waitFor({ state: 'visible', timeout: 15_000 }).then(
        () => true,
        () => false,
      );
      if (shown) break;
      if (attempt === 3) throw new Error('the sweep quick pick did not stay open in 3 tries');
      await page.keyboard.press('Escape');
    }
    await row.click();
    // The dashboard may still be visible in its own group: the sweep's webview is the newest frame.
    const sweepFrame = webviewFrame(page, true).locator('[data-testid=apply-best]');
    await sweepFrame.waitFor({ state: 'visible', timeout: 30_000 });
    await screenshot('dashboard-04-sweep');
    await sweepFrame.click();
    const kdAfter = await waitFor(
      'kd.json to change on disk',
      () => {
        const text = fs.readFileSync(kdJson, 'utf8');
        return text !== kdBefore ? text : undefined;
      },
      { timeoutMs: 20_000 },
    );
    const parsed = JSON.parse(kdAfter.replace(/^\s*\/\/.*$/gm, ''));
    assert.equal(parsed.distillation?.temperature, 2.5, 'the best trial’s temperature was applied');
    await screenshot('dashboard-05-applied');

    await checkLiveThenStopped({ page, workspace, screenshot, runCommand, quickOpen, waitFor, log });
  },
};

export default check;
