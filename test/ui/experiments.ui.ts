/**
 * The experiments table in a realistic window (1600×1000, the test bed's viewport; the table beside kd.json: half the
 * editor), light and dark: opened from the Runs view's button, it fills with a CLI sweep's
 * trials while it runs; its rows are the workspace's run folders; sorted by the distilled
 * accuracy its order is summary.json's; its headers never break inside a word; selected rows
 * plot with pixels; Export CSV writes the exact numbers of summary.json to the file picked.
 * Run identity: the workspace is a git repository with the sweep's kd.json not committed, so
 * every trial records the commit and "dirty" (config.json, the table's git column, the
 * dashboard header); a trial renamed through the Runs tree's "Rename Run…" shows its new name
 * in the tree, the table and its dashboard.
 */
import * as assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Frame } from 'playwright-core';
import { listRunDirs, readSummary, runsRootFor } from '../../src/protocol/runFolder';
import { readSweep, sweepsRootFor } from '../../src/protocol/sweep';
import { trialLabel } from '../../src/extension/tree/runInfo';
import type { UiCheck, UiContext } from './context';
import { setTheme } from './theme';

const REPO_ROOT = path.join(__dirname, '..', '..');

/** The document of our webview showing `view` (body[data-view]), once there is one. */
async function viewFrame(ctx: UiContext, view: string): Promise<Frame> {
  return ctx.waitFor(
    `a Distillery webview showing the ${view} view`,
    async () => {
      for (const f of ctx.page.frames()) {
        const v = await f.evaluate(() => document.body?.dataset.view).catch(() => undefined);
        if (
          v === view &&
          (await f
            .locator('#app:not([aria-busy])')
            .count()
            .catch(() => 0))
        )
          return f;
      }
      return undefined;
    },
    { timeoutMs: 30_000 },
  );
}

/** Every run folder of the workspace, as the table should list it: single runs beside each kd.json, and each sweep's trials. */
function runFoldersOnDisk(workspace: string): string[] {
  const kdJsons: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.name === 'node_modules' || e.name === '.distillery') continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === 'kd.json' || e.name.endsWith('.kd.json')) kdJsons.push(p);
    }
  };
  walk(workspace);
  const ids = new Set<string>();
  for (const kd of kdJsons) {
    for (const d of listRunDirs(runsRootFor(kd))) ids.add(path.basename(d));
    const root = sweepsRootFor(kd);
    for (const name of fs.existsSync(root) ? fs.readdirSync(root) : []) {
      const s = readSweep(path.join(root, name));
      for (const t of s?.trials ?? []) ids.add(path.basename(t.runDir));
    }
  }
  return [...ids].sort();
}

const rowIds = (frame: Frame) => frame.locator('table.experiments tbody tr[data-run]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-run')!));

/** Headers whose words are split across lines (a word whose text has more than one line box). */
function brokenHeaders(frame: Frame): Promise<string[]> {
  return frame.locator('table thead th').evaluateAll((ths) =>
    ths.flatMap((th) => {
      const broken: string[] = [];
      const walker = document.createTreeWalker(th, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const t = n.textContent ?? '';
        for (const m of t.matchAll(/\S+/g)) {
          const r = document.createRange();
          r.setStart(n, m.index!);
          r.setEnd(n, m.index! + m[0].length);
          const tops = new Set([...r.getClientRects()].map((c) => Math.round(c.top)));
          if (tops.size > 1) broken.push(m[0]);
        }
      }
      return broken;
    }),
  );
}

const inked = (frame: Frame, selector: string) =>
  frame.locator(selector).evaluate((c) => {
    const canvas = c as HTMLCanvasElement;
    const d = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i]) n++;
    return n;
  });

const check: UiCheck = {
  name: 'Experiments: the table lists every run folder live, sorts, plots and exports exact CSV',
  async run(ctx) {
    const { page, workspace, screenshot, runCommand, quickOpen, waitFor, log } = ctx;
    // A git repository whose last commit lacks the sweep's kd.json (written below): a dirty work tree.
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.email=ui@example.com', '-c', 'user.name=ui', '-c', 'commit.gpgsign=false', ...args], {
        cwd: workspace,
        encoding: 'utf8',
      }).trim();
    git('init', '-q');
    git('add', '-A');
    git('commit', '-q', '-m', 'the fixture workspace');
    const head = git('rev-parse', 'HEAD');
    const kdJson = path.join(workspace, 'exp', 'kd.json');
    fs.mkdirSync(path.dirname(kdJson), { recursive: true });
    fs.writeFileSync(
      kdJson,
      JSON.stringify(
        {
          name: 'ui-sweep',
          seed: 11,
          backend: 'wasm',
          data: { source: 'mnist', limit: 600 },
          teachers: [{ id: 'mlp', architecture: { preset: 'mlp', hidden: [128] }, training: { epochs: 2, batchSize: 64 } }],
          student: { architecture: { preset: 'mlp', hidden: [16] } },
          distillation: { temperature: 4, alpha: 0.7 },
          training: { epochs: 2, batchSize: 64 },
          evaluation: { latencySamples: 10 },
          sweep: { params: { 'distillation.temperature': [1, 4, 8] }, seeds: 2, metric: 'valAccuracy', parallel: 1 },
        },
        null,
        2,
      ),
    );
    // The table opens beside the editor: with kd.json open, it gets half the editor area.
    await quickOpen('kd.json');
    await runCommand('View: Show Distillery');
    const runsPane = page.locator('.pane', { has: page.locator('.pane-header', { hasText: /^\s*Runs\b/i }) });
    await runsPane.locator('.pane-header').hover();
    await runsPane
      .locator('.pane-header .action-label[aria-label="Distill: Show Experiments"], .pane-header .action-label[aria-label="Show Experiments"]')
      .first()
      .click();
    const frame = await viewFrame(ctx, 'experiments');
    const before = (await rowIds(frame)).length;
    log(`table open with ${before} rows`);

    // A sweep from a terminal: its trials appear in the open table, as they run.
    const sweepsRoot = sweepsRootFor(kdJson);
    const cli = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'distill.js'), 'sweep', kdJson], { stdio: 'ignore', cwd: workspace });
    let sweepDir: string;
    try {
      sweepDir = await waitFor(
        'the sweep folder',
        () => (fs.existsSync(sweepsRoot) ? fs.readdirSync(sweepsRoot).map((n) => path.join(sweepsRoot, n))[0] : undefined),
        {
          timeoutMs: 60_000,
        },
      );
      await waitFor('the sweep to end', () => readSweep(sweepDir)?.status === 'done' || cli.exitCode !== null, { timeoutMs: 180_000, intervalMs: 500 });
    } finally {
      if (cli.exitCode === null) await new Promise((r) => cli.once('exit', r));
    }
    const sweep = readSweep(sweepDir)!;
    assert.equal(sweep.status, 'done', `the CLI sweep ended ${sweep.status}`);

    // The rows are the workspace's run folders, the sweep's trials included, without reopening the table.
    const expected = runFoldersOnDisk(workspace);
    const ids = await waitFor(
      `the table to list all ${expected.length} run folders`,
      async () => {
        const shown = await rowIds(frame);
        return shown.length === expected.length && (await frame.locator('table.experiments td[data-col=status]', { hasText: 'running' }).count()) === 0
          ? shown
          : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    assert.deepEqual([...ids].sort(), expected, 'one row per run folder on disk');
    log(`${ids.length} rows = run folders on disk (${sweep.trials.length} sweep trials)`);
    // The swept setting differs between the rows: it is a column of its own.
    await frame.locator('th[data-col="param:distillation.temperature"]').waitFor({ timeout: 5000 });

    // Sorted by the distilled student's accuracy: summary.json's order, rows without one last.
    await frame.locator('th[data-col=distilled]').click();
    const sorted = await waitFor('a descending sort', async () =>
      (await frame.locator('th[data-col=distilled][aria-sort=descending]').count()) ? rowIds(frame) : undefined,
    );
    const dirOf = new Map<string, string>();
    for (const t of sweep.trials) dirOf.set(path.basename(t.runDir), path.join(sweepDir, t.runDir));
    for (const kd of [path.join(workspace, 'kd.json'), kdJson]) for (const d of listRunDirs(runsRootFor(kd))) dirOf.set(path.basename(d), d);
    const acc = sorted.map((id) => {
      const s = dirOf.has(id) ? readSummary(dirOf.get(id)!) : undefined;
      const baselineTrial = sweep.trials.find((t) => path.basename(t.runDir) === id)?.kind === 'baseline';
      return baselineTrial ? undefined : s?.student?.testAccuracy;
    });
    const firstMissing = acc.findIndex((a) => a === undefined);
    const withValue = firstMissing < 0 ? acc : acc.slice(0, firstMissing);
    assert.ok(withValue.length >= 6, `at least the sweep's 6 distilled trials have an accuracy (${withValue.length})`);
    assert.ok(
      withValue.every((a, i) => i === 0 || a! <= withValue[i - 1]!),
      `rows sorted by distilled accuracy, descending: ${withValue.join(', ')}`,
    );
    assert.ok(firstMissing < 0 || acc.slice(firstMissing).every((a) => a === undefined), 'rows without a distilled accuracy come last');
    const firstCell = (await frame.locator('table.experiments tbody tr[data-run] td[data-col=distilled]').first().innerText()).trim();
    assert.equal(firstCell, `${(withValue[0]! * 100).toFixed(2)}%`, 'the top cell shows the best accuracy');
    assert.deepEqual(await brokenHeaders(frame), [], 'no header breaks inside a word at half width');
    // Clicking the header scrolled the wide table sideways: back to its first column for the picture.
    await frame.locator('.table-scroll').evaluate((el) => (el.scrollLeft = 0));
    await screenshot('experiments-01-sorted-light');

    // Select every row, plot distilled accuracy against T: both canvases draw.
    await frame.locator('[data-testid=select-all]').check();
    await frame.locator('[data-testid=plot]').click();
    await frame.locator('[data-testid=plot-param]').selectOption('param:distillation.temperature');
    const pixels = await waitFor('the plot and parallel coordinates to draw', async () => {
      const a = await inked(frame, 'canvas[data-chart=metric-vs-param]');
      const b = await inked(frame, 'canvas[data-chart=parallel]');
      return a > 200 && b > 200 ? [a, b] : undefined;
    });
    log(`plot ink: ${pixels.join(' and ')} pixels`);
    await screenshot('experiments-02-plot-light');

    // Dark theme (the test bed starts light): the same view, redrawn in the theme's colours.
    await setTheme(ctx, 'Dark Modern');
    await waitFor('the webview to take the dark theme', () => frame.evaluate(() => document.body.classList.contains('vscode-dark')).catch(() => false));
    const darkInk = await waitFor('the plot to redraw', async () => ((await inked(frame, 'canvas[data-chart=metric-vs-param]')) > 200 ? true : undefined));
    assert.ok(darkInk);
    await screenshot('experiments-03-plot-dark');
    await setTheme(ctx, 'Light Modern');

    // Export CSV: the save dialog offers experiments.csv in the workspace; its numbers are summary.json's, exactly.
    await frame.locator('[data-testid=plot]').click();
    await frame.locator('[data-testid=export-csv]').click();
    const dialogInput = page.locator('.quick-input-widget input.input');
    await dialogInput.waitFor({ state: 'visible', timeout: 15_000 });
    const target = path.join(workspace, 'experiments.csv');
    await waitFor('the save dialog to offer experiments.csv', async () => (await dialogInput.inputValue()).endsWith('experiments.csv'));
    await page.keyboard.press('Enter');
    const csv = await waitFor(`${target} on disk`, () => (fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : undefined), { timeoutMs: 20_000 });
    await page
      .locator('.notification-toast', { hasText: `Exported the experiments table to ${target}` })
      .first()
      .waitFor({ timeout: 15_000 });
    const table: string[][] = parse(csv);
    const header = table[0];
    const col = (name: string) => header.indexOf(name);
    assert.equal(table.length - 1, expected.length, 'one CSV line per row');
    let exact = 0;
    for (const line of table.slice(1)) {
      const dir = line[col('run folder')];
      const s = readSummary(dir);
      const baselineTrial = sweep.trials.some((t) => path.join(sweepDir, t.runDir) === dir && t.kind === 'baseline');
      if (!s?.student || baselineTrial) continue;
      assert.equal(Number(line[col('distilled (0-1)')]), s.student.testAccuracy, `${dir}: distilled accuracy exact`);
      if (s.teacher) assert.equal(Number(line[col('teacher (0-1)')]), s.teacher.testAccuracy, `${dir}: teacher accuracy exact`);
      exact++;
    }
    assert.ok(exact >= 6, `exact accuracies checked on ${exact} rows`);
    log(`CSV: ${table.length - 1} rows, ${exact} checked exact against summary.json`);
    await screenshot('experiments-04-exported');
    await identity(ctx, frame, sweep, sweepDir, head, expected.length);
  },
};

/** The git state every trial recorded, shown in the table; a trial renamed from the Runs tree, in the tree, the table and its dashboard. */
async function identity(ctx: UiContext, frame: Frame, sweep: NonNullable<ReturnType<typeof readSweep>>, sweepDir: string, head: string, rows: number) {
  const { page, screenshot, waitFor, log } = ctx;
  for (const t of sweep.trials) {
    const config = JSON.parse(fs.readFileSync(path.join(sweepDir, t.runDir, 'config.json'), 'utf8'));
    assert.deepEqual(
      { commit: config.$git?.commit, dirty: config.$git?.dirty },
      { commit: head, dirty: true },
      `${t.id}: config.json records the commit, dirty`,
    );
  }
  const dirty = `${head.slice(0, 7)} · dirty`;
  // The sweep's rows: the runs earlier checks made in this shared workspace started before it was a git repository.
  const cells = await frame
    .locator('table.experiments tbody tr[data-run]')
    .evaluateAll((trs) => trs.map((tr) => ({ run: tr.getAttribute('data-run') ?? '', git: (tr.querySelector('td[data-col=git]')?.textContent ?? '').trim() })));
  assert.equal(cells.length, rows, 'one row per run folder');
  const trialIds = new Set(sweep.trials.map((t) => path.basename(t.runDir)));
  const gitCells = cells.filter((c) => trialIds.has(c.run)).map((c) => c.git);
  assert.deepEqual(gitCells, Array(sweep.trials.length).fill(dirty), 'every trial\'s row shows the commit and "dirty"');

  // Rename the first distilled trial from its node in the Runs tree (the sweep's node expanded).
  const trial = sweep.trials.find((t) => t.kind === 'distill')!;
  const runId = path.basename(trial.runDir);
  const runsPane = page.locator('.pane', { has: page.locator('.pane-header', { hasText: /^\s*Runs\b/i }) });
  const rowNamed = (label: string) =>
    runsPane
      .locator('.monaco-list-row', { has: page.locator('.label-name', { hasText: new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }) })
      .first();
  const sweepRow = rowNamed(`${sweep.name} (sweep)`);
  await sweepRow.waitFor({ timeout: 15_000 });
  if ((await sweepRow.getAttribute('aria-expanded')) !== 'true') await sweepRow.locator('.monaco-tl-twistie').click();
  const trialRow = rowNamed(trialLabel(trial, sweep.baselineStart));
  await trialRow.click({ button: 'right' });
  // The workbench's menu acts on the item under the pointer as it is released: hover it, then Enter.
  const rename = page.locator('.monaco-menu .action-label:visible', { hasText: /^Rename Run…$/ }).first();
  await rename.hover();
  await page.keyboard.press('Enter');
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  const name = 'warm start, T1';
  await input.fill(name);
  await page.keyboard.press('Enter');
  const meta = await waitFor('meta.json with the new name', () => {
    const file = path.join(sweepDir, trial.runDir, 'meta.json');
    return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : undefined;
  });
  assert.equal(meta.name, name);
  await rowNamed(name).waitFor({ timeout: 15_000 });
  const cell = frame.locator(`table.experiments tr[data-run="${runId}"] td[data-col=name]`);
  await waitFor('the table to show the new name', async () => ((await cell.locator('a').innerText()).trim() === name ? true : undefined), {
    timeoutMs: 15_000,
  });
  const label = (await cell.locator('[data-testid=auto-label]').innerText()).trim();
  assert.match(label, /^T\S+ .*· #[0-9a-f]{4}$/, `the automatic label names the swept T and the short id: "${label}"`);
  log(`renamed ${runId} to "${name}" (label "${label}"); git ${dirty} on the ${gitCells.length} trial rows of ${rows}`);
  await screenshot('experiments-05-renamed');

  // Its dashboard: the new name as the title, the label, and the dirty commit.
  await cell.locator('a').click();
  const dash = await viewFrame(ctx, 'dashboard');
  await waitFor('the dashboard header to show the name and git state', async () => {
    const title = (await dash.locator('[data-testid=run-name]').innerText()).trim();
    const line = await dash.locator('[data-testid=run-identity]').innerText();
    return title === name && line.includes(dirty) && line.includes(label) ? true : undefined;
  });
  await screenshot('experiments-06-dashboard-identity');
}

export default check;
