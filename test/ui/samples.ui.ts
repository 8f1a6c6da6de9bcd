/**
 * Sample inspection in the real workbench, on the real example (examples/mnist/kd.json, run by
 * the CLI): clicking a confusion cell of the distilled student opens its samples beside that
 * cell (bounding boxes compared), one thumbnail per sample of the cell (the cell's count, or
 * the stated cap) drawn at an integer upscale with ink; "disagreements only" leaves exactly the
 * disagreements computed from logits.json; every sample has the teacher's and the student's
 * top 3 classes, summing to ≤ 1. Half width (beside kd.json) and the maximised group, light and dark.
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Frame } from 'playwright-core';
import { listRunDirs, readSummary, runsRootFor } from '../../src/protocol/runFolder';
import type { RunSummary } from '../../src/protocol/events';
import type { LogitsFile, PredictionsFile } from '../../src/protocol/webviewMessages';
import type { UiCheck, UiContext } from './context';
import { setTheme } from './theme';

const REPO_ROOT = path.join(__dirname, '..', '..');
const EXAMPLE = 'mnist-example.kd.json';

/** The dashboard frame showing `summary`'s run: its student matrix holds the run's test samples. */
async function dashboardOf(ctx: UiContext, summary: RunSummary): Promise<Frame> {
  return ctx.waitFor(
    `the dashboard of ${summary.runId}`,
    async () => {
      for (const f of ctx.page.frames()) {
        const counts = await f
          .locator('table.matrix[data-model=student] td')
          .evaluateAll((tds) => tds.map((td) => Number(td.getAttribute('data-count'))))
          .catch(() => [] as number[]);
        if (counts.length && counts.reduce((a, b) => a + b, 0) === summary.testSamples) return f;
      }
      return undefined;
    },
    { timeoutMs: 60_000 },
  );
}

/** Where the popover sits against the cell, in the webview's coordinates (no named functions inside: tsx would wrap them in __name). */
async function boxes(frame: Frame, sel: string) {
  const [cell, popover, page] = await frame.evaluate(
    (s) => [
      ...[document.querySelector(s)!, document.querySelector('[data-testid=cell-popover]')!].map((el) => {
        const b = el.getBoundingClientRect();
        return { left: b.left, right: b.right, top: b.top, bottom: b.bottom };
      }),
      document.documentElement.clientWidth,
    ],
    sel,
  );
  return { cell: cell as Box, popover: popover as Box, page: page as number };
}

type Box = { left: number; right: number; top: number; bottom: number };
/** Beside the cell (touching its right or left edge, its top level with the cell's) or right under it. */
function nextTo(cell: Box, pop: Box): string | undefined {
  const near = 24;
  const level = Math.abs(pop.top - cell.top) <= near;
  if (level && pop.left >= cell.right - 1 && pop.left - cell.right <= near) return 'right';
  if (level && pop.right <= cell.left + 1 && cell.left - pop.right <= near) return 'left';
  if (pop.top >= cell.bottom - 1 && pop.top - cell.bottom <= near && pop.left <= cell.right && pop.right >= cell.left) return 'below';
  return undefined;
}

const check: UiCheck = {
  name: 'Sample inspection: a confusion cell’s samples beside it, with thumbnails, top 3 and the disagreements filter',
  async run(ctx) {
    const { page, workspace, screenshot, runCommand, quickOpen, waitFor, log } = ctx;
    const kdJson = path.join(workspace, EXAMPLE);
    fs.copyFileSync(path.join(REPO_ROOT, 'examples', 'mnist', 'kd.json'), kdJson);
    const runsRoot = runsRootFor(kdJson);
    const before = new Set(listRunDirs(runsRoot));
    const t0 = Date.now();
    const cli = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'distill.js'), 'run', kdJson], { stdio: 'ignore', cwd: workspace });
    const code = await new Promise<number | null>((r) => cli.once('exit', r));
    assert.equal(code, 0, 'the example ran');
    const runDir = listRunDirs(runsRoot).find((d) => !before.has(d) && readSummary(d)?.name === 'mnist-cnn-to-mlp');
    assert.ok(runDir, 'the example’s run folder');
    const summary = readSummary(runDir)!;
    log(`example run in ${((Date.now() - t0) / 1000).toFixed(0)} s: ${summary.testSamples} test samples`);
    const logits: LogitsFile = JSON.parse(fs.readFileSync(path.join(runDir, 'logits.json'), 'utf8'));
    const pred: PredictionsFile = JSON.parse(fs.readFileSync(path.join(runDir, 'predictions.json'), 'utf8'));
    assert.ok(logits.samples, 'logits.json stores the samples to inspect');

    // Beside kd.json: the dashboard gets half the editor. Quick Open's search can lag far behind under
    // load; its fallback is the Explorer, which must be the side bar shown (an earlier check may show another).
    await runCommand('View: Show Explorer');
    await quickOpen(EXAMPLE);
    await runCommand('Distill: Teacher vs Student: Confusion Matrices');
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: summary.runId }).first();
    await row.waitFor({ state: 'visible', timeout: 20_000 });
    await row.click();
    const frame = await dashboardOf(ctx, summary);

    // The student's most confused cell off the diagonal.
    const m = summary.student!.confusion;
    let [ai, pj, count] = [0, 1, -1];
    m.forEach((r, i) => r.forEach((v, j) => i !== j && v > count && ([ai, pj, count] = [i, j, v])));
    const sel = `table.matrix[data-model=student] td[data-actual="${ai}"][data-predicted="${pj}"]`;
    const inCell = pred.labels.flatMap((y, k) => (y === ai && pred.student[k] === pj ? [k] : []));
    assert.equal(inCell.length, count, 'predictions.json agrees with summary.json');
    const k = new Map(logits.samples.positions.map((p, i) => [p, i]));
    const disagreeing = inCell.filter((p) => logits.samples!.top.teacher[k.get(p)!][0][0] !== logits.samples!.top.student[k.get(p)!][0][0]);
    assert.deepEqual(
      disagreeing,
      inCell.filter((p) => pred.teacher[p] !== pred.student[p]),
      'logits.json’s top classes are the predictions',
    );
    const shown = Math.min(count, 100);

    const inspect = async (label: string) => {
      await frame.locator(sel).click();
      const pop = frame.locator('[data-testid=cell-popover]');
      await pop.waitFor({ state: 'visible', timeout: 10_000 });
      await waitFor(`${label}: ${shown} samples listed`, async () =>
        (await frame.locator('[data-testid=cell-samples] li').count()) === shown ? true : undefined,
      );
      const b = await boxes(frame, sel);
      const side = nextTo(b.cell, b.popover);
      assert.ok(side, `${label}: the popover is beside the cell: ${JSON.stringify(b)}`);
      assert.ok(b.popover.left >= 0 && b.popover.right <= b.page + 0.5, `${label}: the popover inside the panel: ${JSON.stringify(b)}`);
      // One thumbnail per sample, the digit’s 28 px drawn ×2 (pixelated; clientWidth leaves out its 1 px border), each with ink.
      const thumbs = await frame.locator('[data-testid=cell-samples] li canvas.thumb').evaluateAll((cs) =>
        (cs as HTMLCanvasElement[]).map((c) => {
          const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
          let ink = 0;
          for (let i = 0; i < d.length; i += 4) if (d[i] > 128) ink++;
          return { w: c.width, css: c.clientWidth, scale: Number(c.dataset.scale), ink, pixelated: getComputedStyle(c).imageRendering };
        }),
      );
      assert.equal(thumbs.length, shown, `${label}: a thumbnail for every sample`);
      for (const t of thumbs) {
        assert.deepEqual([t.w, t.scale, Math.round(t.css), t.pixelated], [28, 2, 56, 'pixelated'], `${label}: thumbnail ${JSON.stringify(t)}`);
        assert.ok(t.ink > 20, `${label}: a digit is drawn (${t.ink} bright pixels)`);
      }
      // Top 3 of teacher and student per sample; the student's first is this cell's column.
      const tops = await frame
        .locator('[data-testid=cell-samples] li')
        .evaluateAll((lis) =>
          lis.map((li) =>
            ['teacher', 'student'].map((model) =>
              [...li.querySelectorAll(`.top3[data-model=${model}] .top-class`)].map((s) => [
                Number(s.getAttribute('data-class')),
                Number(s.getAttribute('data-p')),
              ]),
            ),
          ),
        );
      for (const [teacher, student] of tops) {
        for (const t of [teacher, student]) {
          assert.equal(t.length, 3, `${label}: three classes`);
          const sum = t.reduce((a, [, p]) => a + p, 0);
          assert.ok(sum > 0 && sum <= 1, `${label}: top-3 probabilities sum to ${sum}`);
        }
        assert.equal(student[0][0], pj, `${label}: the student's likeliest class is the cell's column`);
      }
      log(`${label}: cell (${ai}, ${pj}) → ${thumbs.length} thumbnails, popover ${side} of the cell`);
      return pop;
    };

    await inspect('half width, light');
    await screenshot('samples-01-half-light');
    // The filter: exactly the samples where teacher ≠ student, from logits.json.
    await frame.locator('[data-testid=disagreements-only]').click();
    await waitFor(`the filter to leave ${disagreeing.length} disagreements`, async () =>
      (await frame.locator('[data-testid=cell-samples] li').count()) === Math.min(100, disagreeing.length) ? true : undefined,
    );
    const positions = await frame.locator('[data-testid=cell-samples] li').evaluateAll((lis) => lis.map((li) => Number(li.getAttribute('data-position'))));
    assert.deepEqual(positions, disagreeing.slice(0, 100), 'the disagreeing samples, in test order');
    log(`disagreements only: ${count} → ${disagreeing.length}`);
    await screenshot('samples-02-disagreements-light');
    // Keyboard: Escape closes and gives the cell the focus back; Enter on the cell reopens it with focus inside.
    await frame.locator('[data-testid=cell-popover]').press('Escape');
    await frame.locator('[data-testid=cell-popover]').waitFor({ state: 'hidden', timeout: 5000 });
    assert.equal(await frame.evaluate((s) => document.activeElement === document.querySelector(s), sel), true, 'the cell has the focus again');
    await page.keyboard.press('Enter');
    await frame.locator('[data-testid=cell-popover]').waitFor({ state: 'visible', timeout: 5000 });
    await page.keyboard.press('Tab');
    assert.equal(await frame.evaluate(() => !!document.activeElement?.closest('[data-testid=cell-popover]')), true, 'Tab stays in the popover');

    await setTheme(ctx, 'Dark Modern');
    await waitFor('the webview to take the dark theme', () => frame.evaluate(() => document.body.classList.contains('vscode-dark')).catch(() => false));
    await inspect('half width, dark');
    await screenshot('samples-03-half-dark');
    // The whole editor area (1600 px wide window).
    await runCommand('View: Toggle Maximize Editor Group');
    await page.waitForTimeout(800);
    await inspect('maximised, dark');
    await screenshot('samples-04-full-dark');
    await setTheme(ctx, 'Light Modern');
    await inspect('maximised, light');
    await screenshot('samples-05-full-light');
    await runCommand('View: Toggle Maximize Editor Group');
  },
};

export default check;
