/**
 * The dashboard of a finished run, as a person reads it (dashboard.ui.ts): the header says the
 * totals, not the last stage's pace; Re-run leads; every loss line has its own colour and the
 * CE-only duplicates are gone; the stages lie one after another; the distilled − scratch curve is
 * drawn; the log-scale toggle survives a reload of the webview. Screenshots at half width and
 * full width, light and dark.
 */
import * as assert from 'node:assert/strict';
import type { FrameLocator } from 'playwright-core';
import type { RunSummary } from '../../src/protocol/events';
import { pct } from '../../src/protocol/format';
import type { UiContext } from './context';
import { buttonLook, chartLines, headerText, ink, setTheme } from './dashboardView';

export async function checkDoneDashboard(ctx: UiContext, frame: FrameLocator, summary: RunSummary): Promise<void> {
  const { runCommand, waitFor, screenshot, log } = ctx;
  const facts = await waitFor('the totals in the header', async () => {
    const t = await headerText(frame);
    return t.startsWith('distilled ') ? t : undefined;
  });
  assert.ok(facts.includes(`distilled ${pct(summary.student!.testAccuracy)}`), facts);
  assert.ok(facts.includes(`from scratch ${pct(summary.baseline!.testAccuracy)}`), facts);
  assert.match(facts, /took \d+:\d\d/, facts);
  assert.doesNotMatch(facts, /samples\/s|ETA/, facts);
  log(`done header: ${facts}`);
  assert.equal(await buttonLook(frame, 'rerun'), 'primary', 'Re-run is the primary button once the run is done');
  assert.equal(await buttonLook(frame, 'stop'), 'hidden');

  const loss = await chartLines(frame, 'loss');
  const colors = loss.map((l) => l.color);
  assert.equal(new Set(colors).size, colors.length, `every loss line its own colour: ${JSON.stringify(loss)}`);
  const labels = loss.map((l) => l.label);
  assert.ok(labels.includes('distilled student: kd') && labels.includes('distilled student: ce'), labels.join(', '));
  assert.ok(labels.includes('student from scratch: total = ce'), `the baseline's CE-only total is drawn once: ${labels.join(', ')}`);
  assert.ok(!labels.includes('student from scratch: ce') && !labels.includes('teacher: ce'), labels.join(', '));
  log(`loss lines: ${loss.map((l) => `${l.label} ${l.color}`).join('; ')}`);

  const gain = await chartLines(frame, 'gain');
  assert.equal(gain[0]?.label, 'distilled − scratch');
  assert.ok((await ink(frame, 'gain')) > 200, 'the distilled − scratch curve has pixels');

  // Log scale: on, kept across a reload of the webview (its state), then off again.
  const logBox = frame.locator('[data-testid=loss-logScale]');
  await logBox.check();
  const yScale = () => frame.locator('canvas[data-chart=loss]').getAttribute('data-y-scale');
  await waitFor('a logarithmic loss axis', async () => ((await yScale()) === 'logarithmic' ? true : undefined), { timeoutMs: 10_000 });
  await frame.locator('[data-testid=loss-smooth]').check();
  await screenshot('dashboard-02a-log-smooth');
  await runCommand('Developer: Reload Webviews');
  await waitFor('the dashboard back after the reload, log scale still on', async () =>
    (await logBox.isChecked({ timeout: 2000 }).catch(() => false)) && (await yScale().catch(() => null)) === 'logarithmic' ? true : undefined,
  );
  assert.ok(await frame.locator('[data-testid=loss-smooth]').isChecked(), 'smoothing kept across the reload');
  await logBox.uncheck();
  await frame.locator('[data-testid=loss-smooth]').uncheck();
  await waitFor('a linear loss axis', async () => ((await yScale()) === 'linear' ? true : undefined), { timeoutMs: 10_000 });

  // Full width (the group maximised), light; then both widths dark.
  await runCommand('View: Toggle Maximize Editor Group');
  const width = await frame.locator('body').evaluate(() => document.documentElement.clientWidth);
  log(`dashboard width maximised: ${width} px`);
  await screenshot('dashboard-02b-full-width-light');
  await setTheme(ctx, 'Dark Modern');
  await waitFor('the webview to take the dark theme', () =>
    frame
      .locator('body')
      .evaluate(() => document.body.classList.contains('vscode-dark'))
      .catch(() => false),
  );
  await screenshot('dashboard-02c-full-width-dark');
  await runCommand('View: Toggle Maximize Editor Group');
  await screenshot('dashboard-02d-half-width-dark');
  await setTheme(ctx, 'Light Modern');
  await waitFor('the webview back in the light theme', () =>
    frame
      .locator('body')
      .evaluate(() => document.body.classList.contains('vscode-light'))
      .catch(() => false),
  );
}
