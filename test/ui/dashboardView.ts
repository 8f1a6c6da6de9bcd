/**
 * What a person reads off the run dashboard in the workbench, for dashboard.ui.ts: the header's
 * words, the buttons' looks, each chart's lines (their colours), the results card; and the
 * live-run check (a long run watched, then stopped from the dashboard).
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { listRunDirs, readEvents, readSummary, runsRootFor } from '../../src/protocol/runFolder';
import type { UiContext } from './context';

/** Each of our webviews' documents (outer iframe.webview of this extension, inner #active-frame). */
const webviewFrames = (page: Page) => page.frameLocator('iframe.webview[src*="extensionId=distillery.distillery"]');

/** The dashboard whose title is `runName` (several webviews may be open in the group). */
export async function dashboardOf(ctx: UiContext, runName: string): Promise<FrameLocator> {
  const outer = ctx.page.locator('iframe.webview[src*="extensionId=distillery.distillery"]');
  return ctx.waitFor(
    `the dashboard of "${runName}"`,
    async () => {
      const n = await outer.count();
      for (let i = n - 1; i >= 0; i--) {
        const frame = webviewFrames(ctx.page).nth(i).frameLocator('iframe#active-frame');
        const name = await frame
          .locator('[data-testid=run-name]')
          .innerText({ timeout: 1000 })
          .catch(() => '');
        if (name.trim() === runName) return frame;
      }
      return undefined;
    },
    { timeoutMs: 60_000 },
  );
}

export const headerText = async (frame: FrameLocator) => (await frame.locator('[data-testid=progress]').innerText()).trim();

/** Whether a vscode-button is drawn as the primary (no `secondary` attribute) and shown. */
export async function buttonLook(frame: FrameLocator, testId: string): Promise<'primary' | 'secondary' | 'hidden'> {
  return frame
    .locator(`[data-testid=${testId}]`)
    .evaluate((b) => ((b as HTMLElement).hidden ? 'hidden' : b.hasAttribute('secondary') ? 'secondary' : 'primary'));
}

/** The lines a chart draws (label, colour, dash), as the chart set them. */
export async function chartLines(frame: FrameLocator, chart: string): Promise<{ label: string; color: string; dash: number[] }[]> {
  return JSON.parse((await frame.locator(`canvas[data-chart=${chart}]`).getAttribute('data-lines')) ?? '[]');
}

/** Non-transparent pixels of a canvas. */
export async function ink(frame: FrameLocator, chart: string): Promise<number> {
  return frame.locator(`canvas[data-chart=${chart}]`).evaluate((c) => {
    const d = (c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, (c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i]) n++;
    return n;
  });
}

export { setTheme } from './theme';

const epochOf = (t: string) => /epoch (\d+)\/(\d+)/.exec(t);

/**
 * A long run (long.kd.json: 200 teacher epochs) watched live: Stop is the primary button and
 * Re-run is not; the header has one ETA for the whole run; the status bar's epoch count is the
 * header's. Then Stop: the results card shows the epochs done and the last accuracies measured.
 */
export async function checkLiveThenStopped(ctx: UiContext): Promise<void> {
  const { page, workspace, quickOpen, runCommand, waitFor, screenshot, log } = ctx;
  const kdJson = path.join(workspace, 'long.kd.json');
  const runsRoot = runsRootFor(kdJson);
  const before = new Set(listRunDirs(runsRoot));
  await quickOpen('long.kd.json');
  await runCommand('Distill: Start Run');
  const runDir = await waitFor('the long run’s folder', () => listRunDirs(runsRoot).find((d) => !before.has(d)), { timeoutMs: 30_000 });
  const frame = await dashboardOf(ctx, 'long');
  // Two epochs on disk: the pace is measured and the card will have numbers after the stop.
  await waitFor('two teacher epochs', () => readEvents(runDir).events.filter((e) => e.type === 'epoch').length >= 2, { timeoutMs: 120_000 });
  const live = await waitFor('the whole run’s ETA in the header', async () => {
    const t = await headerText(frame);
    return /ETA \d+:\d\d(:\d\d)? \(whole run\)/.test(t) ? t : undefined;
  });
  log(`live header: ${live}`);
  assert.equal(await buttonLook(frame, 'stop'), 'primary', 'Stop is the primary button while the run trains');
  assert.equal(await buttonLook(frame, 'rerun'), 'secondary', 'Re-run is not the primary button while the run trains');
  // The status bar and the header fold the same events, each at its own pace (every 250 ms, every 100 ms), while an epoch
  // here lasts about 100 ms: the bar, read between two reads of the header, has the same plan and an epoch between them
  // (two behind at most: its 250 ms; one ahead: the header's own redraw).
  const bar = page.locator('.statusbar-item', { hasText: /epoch \d+\/\d+/ }).first();
  const h1 = epochOf(await headerText(frame));
  const barText = (await bar.innerText({ timeout: 15_000 })).trim();
  const h2 = epochOf(await headerText(frame));
  const b = epochOf(barText);
  assert.ok(b && h1 && h2, `an epoch count in both: "${barText}" / header`);
  assert.equal(b[2], h1[2], `planned epochs: status bar "${barText}", header "${h1[0]}"`);
  assert.ok(Number(b[1]) >= Number(h1[1]) - 2 && Number(b[1]) <= Number(h2[1]) + 1, `epoch: status bar "${barText}", header "${h1[0]}" then "${h2[0]}"`);
  log(`status bar: ${barText}`);
  await screenshot('dashboard-06-live-long-run');

  await frame.locator('[data-testid=stop]').click();
  const summary = await waitFor('the stopped summary', () => readSummary(runDir), { timeoutMs: 60_000 });
  assert.equal(summary.status, 'stopped');
  await waitFor('the dashboard to show stopped', async () => (await frame.locator('[data-testid=status]').innerText()).trim() === 'stopped', {
    timeoutMs: 30_000,
  });
  // The card: the teacher's epochs done of 200 and its last validation accuracy, as events.jsonl has them.
  const epochs = readEvents(runDir).events.filter((e) => e.type === 'epoch' && e.stage === 'teacher');
  const last = epochs[epochs.length - 1] as { epoch: number; valAccuracy: number };
  const card = frame.locator('[data-testid=results][data-partial=true] tr[data-stage=teacher]');
  await card.waitFor({ timeout: 20_000 });
  assert.equal((await card.locator('[data-testid=epochs-done]').innerText()).trim(), `${last.epoch} of 200`);
  assert.equal((await card.locator('[data-testid=val-accuracy]').innerText()).trim(), `${(last.valAccuracy * 100).toFixed(2)}%`);
  const facts = await headerText(frame);
  assert.match(facts, new RegExp(`^stopped in teacher after ${last.epoch}/200 epochs`), facts);
  assert.equal(await buttonLook(frame, 'rerun'), 'primary', 'Re-run leads once the run has ended');
  assert.equal(await buttonLook(frame, 'stop'), 'hidden');
  log(`stopped card: teacher ${last.epoch} of 200 epochs, ${(last.valAccuracy * 100).toFixed(2)}%; header: ${facts}`);
  await screenshot('dashboard-07-stopped');
}
