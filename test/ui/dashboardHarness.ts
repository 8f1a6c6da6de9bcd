/**
 * A standalone check of the webview bundle, without VS Code: loads dist/webview in headless
 * Chromium under the same strict CSP the host uses, with a fake acquireVsCodeApi that answers
 * `ready` with an `init` built by the host's own loaders from a real run folder. Screenshots
 * each view in dark, light and high-contrast themes to test-results/webview/, and fails on
 * console errors, CSP violations, blank charts, or a run name rendered as markup.
 *
 *   npx tsx test/ui/dashboardHarness.ts <runDir> [sweepDir]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import { contentSecurityPolicy } from '../../src/extension/webviews/csp';
import { loadCompareRun, loadDashboardInit } from '../../src/extension/dashboard/runData';
import { loadSweep } from '../../src/extension/sweeps/sweepData';
import type { HostMessage } from '../../src/protocol/webviewMessages';

const ROOT = path.resolve(__dirname, '..', '..');
const OUT = path.join(ROOT, 'test-results', 'webview');
const XSS = '<img src=x onerror=alert(1)>';

const THEMES: Record<string, { cls: string; vars: Record<string, string> }> = {
  dark: {
    cls: 'vscode-dark',
    vars: {
      '--vscode-foreground': '#cccccc',
      '--vscode-descriptionForeground': '#9d9d9d',
      '--vscode-editor-background': '#1f1f1f',
      '--vscode-editorWidget-background': '#202020',
      '--vscode-widget-border': '#313131',
      '--vscode-editorWidget-border': '#454545',
      '--vscode-charts-blue': '#3794ff',
      '--vscode-charts-red': '#f14c4c',
      '--vscode-charts-green': '#89d185',
      '--vscode-charts-orange': '#d18616',
      '--vscode-charts-purple': '#b180d7',
      '--vscode-charts-yellow': '#cca700',
      '--vscode-button-background': '#0078d4',
      '--vscode-button-foreground': '#ffffff',
      '--vscode-focusBorder': '#0078d4',
      '--vscode-badge-background': '#616161',
      '--vscode-badge-foreground': '#f8f8f8',
      '--vscode-errorForeground': '#f85149',
      '--vscode-font-family': 'system-ui, sans-serif',
      '--vscode-list-activeSelectionBackground': '#04395e',
      '--vscode-list-activeSelectionForeground': '#ffffff',
      '--vscode-panel-border': '#2b2b2b',
    },
  },
  light: {
    cls: 'vscode-light',
    vars: {
      '--vscode-foreground': '#3b3b3b',
      '--vscode-descriptionForeground': '#717171',
      '--vscode-editor-background': '#ffffff',
      '--vscode-editorWidget-background': '#f8f8f8',
      '--vscode-widget-border': '#e5e5e5',
      '--vscode-editorWidget-border': '#c8c8c8',
      '--vscode-charts-blue': '#1a85ff',
      '--vscode-charts-red': '#e51400',
      '--vscode-charts-green': '#388a34',
      '--vscode-charts-orange': '#d18616',
      '--vscode-charts-purple': '#652d90',
      '--vscode-charts-yellow': '#bf8803',
      '--vscode-button-background': '#005fb8',
      '--vscode-button-foreground': '#ffffff',
      '--vscode-focusBorder': '#005fb8',
      '--vscode-badge-background': '#cccccc',
      '--vscode-badge-foreground': '#3b3b3b',
      '--vscode-errorForeground': '#a1260d',
      '--vscode-font-family': 'system-ui, sans-serif',
      '--vscode-list-activeSelectionBackground': '#e8e8e8',
      '--vscode-list-activeSelectionForeground': '#000000',
      '--vscode-panel-border': '#e5e5e5',
    },
  },
  'high-contrast': {
    cls: 'vscode-high-contrast',
    vars: {
      '--vscode-foreground': '#ffffff',
      '--vscode-descriptionForeground': '#ffffff',
      '--vscode-editor-background': '#000000',
      '--vscode-contrastBorder': '#6fc3df',
      '--vscode-widget-border': '#6fc3df',
      '--vscode-charts-blue': '#3794ff',
      '--vscode-charts-red': '#f14c4c',
      '--vscode-charts-green': '#89d185',
      '--vscode-charts-orange': '#d18616',
      '--vscode-charts-purple': '#b180d7',
      '--vscode-charts-yellow': '#cca700',
      '--vscode-button-background': '#000000',
      '--vscode-button-foreground': '#ffffff',
      '--vscode-focusBorder': '#f38518',
      '--vscode-errorForeground': '#f48771',
      '--vscode-font-family': 'system-ui, sans-serif',
      '--vscode-list-activeSelectionBackground': '#000000',
      '--vscode-list-activeSelectionForeground': '#ffffff',
    },
  },
};

function page(view: string, theme: string, init: HostMessage, followUps: HostMessage[] = []): string {
  const nonce = 'harness-nonce';
  const dist = path.join(ROOT, 'dist', 'webview');
  const t = THEMES[theme];
  const vars = Object.entries(t.vars)
    .map(([k, v]) => `${k}: ${v};`)
    .join(' ');
  // The fake API: records posts, answers `ready` with init, then the follow-ups ten a second.
  const fake = `
    window.__posted = []; window.__csp = []; let state;
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
    const messages = JSON.parse(document.getElementById('messages').textContent);
    window.acquireVsCodeApi = () => ({
      postMessage(m) { window.__posted.push(m); if (m.type === 'ready') { window.postMessage(messages[0], '*'); messages.slice(1).forEach((x, i) => setTimeout(() => window.postMessage(x, '*'), 100 * (i + 1))); } },
      getState() { return state; }, setState(s) { state = s; window.__state = s; },
    });`;
  return `<!DOCTYPE html><html lang="en" style="${vars}"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy('file:', nonce)}">
<link rel="stylesheet" href="file://${dist}/webview.css" nonce="${nonce}"></head>
<body class="${t.cls}" data-view="${view}"><main id="app" aria-busy="true"></main>
<script type="application/json" id="messages">${JSON.stringify([init, ...followUps]).replace(/</g, '\\u003c')}</script>
<script nonce="${nonce}">${fake}</script>
<script nonce="${nonce}" src="file://${dist}/webview.js"></script></body></html>`;
}

async function main() {
  const runDir = path.resolve(process.argv[2] ?? '');
  if (!fs.existsSync(path.join(runDir, 'events.jsonl')))
    throw new Error(`usage: tsx test/ui/dashboardHarness.ts <runDir> [sweepDir] — ${runDir} has no events.jsonl`);
  fs.mkdirSync(OUT, { recursive: true });
  const init = loadDashboardInit(runDir, path.basename(runDir), false);
  init.series.name = XSS; // must show literally
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--headless=new', '--allow-file-access-from-files'],
  });
  const failures: string[] = [];
  const ctx = await browser.newContext({ viewport: { width: 1100, height: 900 }, deviceScaleFactor: 1 });
  const shots: string[] = [];

  async function open(name: string, view: string, theme: string, msg: HostMessage, follow: HostMessage[] = []) {
    const file = path.join(OUT, `${name}-${theme}.html`);
    fs.writeFileSync(file, page(view, theme, msg, follow));
    const p = await ctx.newPage();
    const errors: string[] = [];
    p.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    p.on('pageerror', (e) => errors.push(String(e)));
    p.on('dialog', (d) => (errors.push(`dialog opened: ${d.message()}`), void d.dismiss()));
    await p.goto(`file://${file}`);
    await p.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'rendered'), null, {
      timeout: 15000,
    });
    await p.waitForTimeout(300 + 100 * follow.length);
    return {
      p,
      errors,
      check: async (label: string) => {
        const csp = await p.evaluate(() => (window as unknown as { __csp: string[] }).__csp);
        if (csp.length) failures.push(`${label}: CSP violations ${csp.join(', ')}`);
        if (errors.length) failures.push(`${label}: console errors ${errors.join(' | ')}`);
      },
    };
  }
  async function shot(p: import('playwright-core').Page, name: string) {
    const f = path.join(OUT, `${name}.png`);
    await p.screenshot({ path: f, fullPage: true });
    shots.push(f);
  }
  const inkyCanvases = (p: import('playwright-core').Page, sel: string) =>
    p.$$eval(
      sel,
      (cs) =>
        (cs as HTMLCanvasElement[]).filter((c) => {
          const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
          for (let i = 3; i < d.length; i += 4) if (d[i]) return true;
          return false;
        }).length,
    );

  for (const theme of Object.keys(THEMES)) {
    const { p, check } = await open('dashboard', 'dashboard', theme, init);
    const name = await p.textContent('[data-testid=run-name]');
    if (name !== XSS) failures.push(`${theme}: run name shown as ${JSON.stringify(name)}`);
    if (await p.$('main img')) failures.push(`${theme}: the run name became an <img>`);
    const ink = await inkyCanvases(p, 'canvas[data-chart]');
    if (ink < 3) failures.push(`${theme}: only ${ink}/3 dashboard charts drew`);
    await shot(p, `dashboard-curves-${theme}`);
    // Teacher vs student
    await p.click('vscode-tab-header[data-tab=confusion]');
    await p.waitForSelector('table.matrix[data-model=teacher] td');
    const teacherCells = await p.$$eval('table.matrix[data-model=teacher] td', (tds) =>
      tds.map((td) => [Number(td.getAttribute('data-actual')), Number(td.getAttribute('data-predicted')), Number(td.getAttribute('data-count'))]),
    );
    const conf = init.series.summary!.teacher!.confusion;
    const mismatch = teacherCells.filter(([i, j, c]) => conf[i][j] !== c);
    if (mismatch.length || teacherCells.length !== conf.length * conf.length)
      failures.push(`${theme}: teacher confusion cells differ from summary.json (${mismatch.length} mismatches)`);
    // Click the most confused off-diagonal cell of the student.
    const sconf = init.series.summary!.student!.confusion;
    let best = [0, 1, -1];
    sconf.forEach((row, i) => row.forEach((v, j) => i !== j && v > best[2] && (best = [i, j, v])));
    await p.click(`table.matrix[data-model=student] td[data-actual="${best[0]}"][data-predicted="${best[1]}"]`);
    const listed = await p.$$eval('[data-testid=cell-samples] li', (l) => l.length);
    if (listed !== Math.min(60, best[2])) failures.push(`${theme}: cell (${best[0]},${best[1]}) lists ${listed} samples, summary says ${best[2]}`);
    await p.waitForTimeout(150);
    await shot(p, `dashboard-confusion-${theme}`);
    // Dark knowledge: move the temperature
    await p.click('vscode-tab-header[data-tab=darkKnowledge]');
    await p.waitForSelector('.sample-btn');
    await p.click('.sample-btn.disagree >> nth=0').catch(() => p.click('.sample-btn >> nth=3'));
    await p.$eval('.dark-knowledge input[type=range]', (el) => {
      (el as HTMLInputElement).value = '8';
      el.dispatchEvent(new Event('input'));
    });
    await p.waitForTimeout(150);
    const t = await p.textContent('[data-testid=temperature]');
    if (t !== '8.0') failures.push(`${theme}: temperature label ${t}`);
    const dkInk = await inkyCanvases(p, '.dark-knowledge canvas');
    if (dkInk < 2) failures.push(`${theme}: dark-knowledge canvases blank (${dkInk})`);
    await shot(p, `dashboard-dark-knowledge-${theme}`);
    await check(`dashboard/${theme}`);
    await p.close();
  }

  // Theme switch while open: charts re-read the colours.
  {
    const { p, check } = await open('dashboard-switch', 'dashboard', 'dark', init);
    const before = await p.$eval('canvas[data-chart=accuracy]', (c) => (c as HTMLCanvasElement).toDataURL());
    await p.evaluate((vars) => {
      for (const [k, v] of Object.entries(vars)) document.documentElement.style.setProperty(k, v);
      document.body.className = 'vscode-light';
    }, THEMES.light.vars);
    await p.waitForTimeout(400);
    const after = await p.$eval('canvas[data-chart=accuracy]', (c) => (c as HTMLCanvasElement).toDataURL());
    if (before === after) failures.push('theme switch: the accuracy chart did not redraw');
    await shot(p, 'dashboard-switched-to-light');
    await check('theme switch');
    await p.close();
  }

  // A live 100 000-step run: init with half, then ten batches of live events.
  {
    const big = structuredClone(init);
    const s = big.series;
    s.status = 'running';
    s.summary = undefined;
    s.stepCount = 0;
    for (const k of Object.keys(s.loss)) delete s.loss[k];
    s.lr = {};
    s.stageOrder = ['distill'];
    s.stages = {
      distill: {
        stage: 'distill',
        key: 'distill',
        model: 'student',
        epochs: 100,
        stepsPerEpoch: 1000,
        totalSteps: 100000,
        params: 1,
        epoch: 50,
        step: 50000,
        startedMs: Date.now() - 60000,
        lastMs: Date.now(),
        samplesPerSec: 9000,
        done: false,
      },
    };
    const total = { x: [] as number[], y: [] as number[] };
    const kd = { x: [] as number[], y: [] as number[] };
    for (let i = 1; i <= 50000; i++) {
      total.x.push(i);
      total.y.push(2 * Math.exp(-i / 20000) + 0.1 * Math.random());
      kd.x.push(i);
      kd.y.push(1.5 * Math.exp(-i / 15000) + 0.05 * Math.random());
    }
    s.loss['distill/total'] = total;
    s.loss['distill/kd'] = kd;
    s.lr = { distill: { x: total.x, y: total.x.map((i) => 0.001 * Math.cos(((i / 100000) * Math.PI) / 2)) } };
    s.stepCount = 50000;
    big.live = true;
    const follow: HostMessage[] = [];
    for (let b = 0; b < 10; b++) {
      const events = [];
      for (let i = 0; i < 5000; i++) {
        const step = 50001 + b * 5000 + i;
        events.push({
          time: new Date().toISOString(),
          type: 'step' as const,
          stage: 'distill' as const,
          epoch: Math.ceil(step / 1000),
          step,
          totalSteps: 100000,
          loss: 2 * Math.exp(-step / 20000) + 0.1 * Math.random(),
          terms: { kd: 1.5 * Math.exp(-step / 15000), ce: 0.5 },
          lr: 0.001,
          samplesPerSec: 9000,
        });
      }
      follow.push({ type: 'events', runId: big.runId, events });
    }
    const t0 = Date.now();
    const { p, check } = await open('dashboard-100k', 'dashboard', 'dark', big, follow);
    await p.waitForFunction(
      () => {
        const r = (window as unknown as { __posted: { type: string; steps: number }[] }).__posted.filter((m) => m.type === 'rendered');
        return r.length && r[r.length - 1].steps === 100000;
      },
      null,
      { timeout: 20000 },
    );
    const took = Date.now() - t0;
    const renders = await p.evaluate(() => (window as unknown as { __posted: { type: string }[] }).__posted.filter((m) => m.type === 'rendered').length);
    const points = await p.evaluate(() => 0);
    console.log(`100k-step live run: all steps drawn ${took} ms after load, ${renders} renders for 11 messages ${points ? '' : ''}`);
    if (renders > 12) failures.push(`100k: ${renders} renders for 11 messages (expected ≤ 12)`);
    await shot(p, 'dashboard-100k-live-dark');
    await check('100k');
    await p.close();
  }

  // Compare two runs (the same run twice with a tweaked config, when only one exists).
  {
    const a = loadCompareRun(runDir);
    const b = structuredClone(a);
    b.runId = 'other-run';
    b.name = 'other';
    (b.config as { distillation?: { temperature?: number } }).distillation = {
      ...((b.config as { distillation?: object }).distillation ?? {}),
      temperature: 8,
    };
    b.series.epochs.distill = { ...b.series.epochs.distill!, val: b.series.epochs.distill!.val.map((v) => v * 0.9) };
    for (const theme of ['dark', 'light']) {
      const { p, check } = await open('compare', 'compare', theme, { type: 'init', view: 'compare', runs: [a, b] });
      const keys = await p.$$eval('[data-testid=config-diff] tbody th', (ths) => ths.map((t) => t.textContent));
      if (!keys.includes('distillation.temperature')) failures.push(`compare: config diff keys ${keys.join(', ')}`);
      await shot(p, `compare-${theme}`);
      await check(`compare/${theme}`);
      await p.close();
    }
  }

  // Sweep
  const sweepDir = process.argv[3];
  if (sweepDir) {
    const sweep = loadSweep(path.resolve(sweepDir));
    for (const theme of ['dark', 'light']) {
      const { p, check } = await open('sweep', 'sweep', theme, { type: 'init', view: 'sweep', sweepDir, sweep });
      const ink = await inkyCanvases(p, 'canvas[data-chart]');
      if (ink < 2) failures.push(`sweep/${theme}: ${ink}/2 charts drew`);
      await p.click('[data-testid=apply-best]');
      const posted = await p.evaluate(() =>
        (window as unknown as { __posted: { type: string; trialId?: string }[] }).__posted.find((m) => m.type === 'applyBest'),
      );
      if (!posted) failures.push(`sweep/${theme}: Apply best posted nothing`);
      await shot(p, `sweep-${theme}`);
      await check(`sweep/${theme}`);
      await p.close();
    }
  }

  await browser.close();
  console.log(`screenshots:\n  ${shots.join('\n  ')}`);
  if (failures.length) {
    console.error(`FAILED:\n  ${failures.join('\n  ')}`);
    process.exit(1);
  }
  console.log('webview harness: all checks passed');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
