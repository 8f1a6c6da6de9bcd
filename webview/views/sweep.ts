/**
 * Temperature sweep: the metric against T (a line per α, each point a setting's mean over seeds;
 * a heat map when both vary), the baseline as a reference line, a table of settings (mean ± sd,
 * the gain over the baseline with its 95 % interval and verdict), a sortable table of trials,
 * parallel coordinates, the best setting highlighted with its warnings, the best single trial
 * named as such, "Apply best setting to kd.json" and "Export CSV". Fills in as trials finish.
 * Every statistic is sweep.json's (summarizeSweep); this view only draws them.
 */
import type { SweepFile } from '../../src/protocol/sweep';
import type { HostMessage, SweepUiState } from '../../src/protocol/webviewMessages';
import { canvasHasInk, LineChart, type LineSpec } from '../lib/charts';
import { fmtPct, h, replace, text } from '../lib/dom';
import { throttledRender } from '../lib/schedule';
import { describeComparison } from '../../src/protocol/stats/seeds';
import { baselineName } from '../../src/protocol/format';
import { meanSd } from '../../src/protocol/sweepBest';
import { trialCounts, trialCountsText } from '../../src/protocol/sweepCounts';
import {
  bestSettingRow,
  bestSingleTrial,
  distilledTrials,
  heatGrid,
  linesByAlpha,
  parallelAxes,
  settingLabel,
  settingRows,
  sortTrials,
  sweptPaths,
  trialColumns,
  trialsCsv,
} from '../lib/sweep';
import { drawParallel as drawParallelCanvas } from '../lib/parallelCoords';
import { readPalette, withAlpha, type Palette } from '../lib/theme';
import { connect, getUiState, post, setUiState } from '../lib/vscodeApi';

export function startSweep(app: HTMLElement): { setPalette(p: Palette): void } {
  let palette = readPalette();
  let sweep: SweepFile | undefined;
  let sweepDir = '';
  let ui: SweepUiState = getUiState<SweepUiState>('sweep') ?? { view: 'sweep', sweepDir: '' };

  const heading = h('h1', { 'data-testid': 'sweep-name' });
  const summary = h('div', { class: 'facts' });
  const notice = h('div', { class: 'notice', role: 'status', 'data-testid': 'notice' });
  const applyBtn = h('vscode-button', { 'data-testid': 'apply-best' }, 'Apply best setting to kd.json');
  const csvBtn = h('vscode-button', { secondary: true, 'data-testid': 'export-csv' }, 'Export CSV');
  applyBtn.addEventListener('click', () => sweep?.bestSetting && post({ type: 'applyBest' }));
  csvBtn.addEventListener('click', () => sweep && post({ type: 'exportCsv', fileName: `${sweep.sweepId}.csv`, csv: trialsCsv(sweep) }));
  const tCanvas = h('canvas', { 'data-chart': 'temperature' });
  const parCanvas = h('canvas', { class: 'parallel', 'data-chart': 'parallel', 'aria-label': 'Parallel coordinates of the trials' });
  const heat = h('div', { 'data-testid': 'heatmap' });
  const table = h('div', { 'data-testid': 'trials' });
  const warnings = h('ul', { class: 'warnings', 'data-testid': 'best-warnings' });
  const settingsTable = h('div', { 'data-testid': 'settings' });
  const chartTitle = h('h3', null, 'Validation accuracy against temperature');
  app.append(
    h('header', { class: 'run-header' }, h('div', { class: 'title-row' }, heading, h('div', { class: 'spacer' }), applyBtn, csvBtn), summary, warnings, notice),
    h(
      'div',
      { class: 'charts' },
      h('section', { class: 'card' }, chartTitle, h('div', { class: 'chart' }, tCanvas)),
      h('section', { class: 'card' }, h('h3', null, 'Parallel coordinates'), h('div', { class: 'chart' }, parCanvas)),
    ),
    heat,
    h('section', { class: 'card' }, h('h3', null, 'Settings (mean ± sd over seeds; gain over the baseline paired by seed, 95 % CI)'), settingsTable),
    h('section', { class: 'card' }, h('h3', null, 'Trials'), table),
  );
  app.removeAttribute('aria-busy');
  let tChart: LineChart | undefined;

  function render() {
    if (!sweep) return;
    const bestRow = bestSettingRow(sweep);
    const bestIds = new Set(bestRow?.trialIds ?? []);
    const b = sweep.bestSetting;
    const single = bestSingleTrial(sweep);
    const metric = sweep.metricLabel;
    // The baseline's mean of the sweep's metric: the reference line, on the same axis as the settings' means.
    const baselineY = sweep.baseline?.metric?.mean;
    const trials = distilledTrials(sweep);
    text(chartTitle, `${metric[0].toUpperCase()}${metric.slice(1)} against temperature (mean over seeds)`);
    text(heading, sweep.name ? `${sweep.name} (${sweep.sweepId})` : `Sweep ${sweep.sweepId}`);
    text(
      summary,
      [
        // Counted as the CLI counts them (sweepCounts.ts): every trial, the baselines included.
        trialCountsText(trialCounts(sweep.trials)),
        sweep.status,
        b
          ? `best setting: ${settingLabel(b.params)}, ${metric} ${meanSd(b)} over ${b.n} seed${b.n === 1 ? '' : 's'}${b.vsBaseline?.n ? `; vs baseline ${describeComparison(b.vsBaseline)}${b.vsBaseline.verdict ? ` (${b.vsBaseline.verdict})` : ''}` : ''}`
          : '',
        single ? `best single trial: ${single.id} (${settingLabel(single.params)}, seed ${single.seed})` : '',
        baselineY !== undefined && Number.isFinite(baselineY) ? `baseline ${fmtPct(baselineY)}` : '',
      ]
        .filter(Boolean)
        .join(' · '),
    );
    replace(warnings, ...(b?.warnings ?? []).map((w) => h('li', null, `⚠ ${w}`)));
    (applyBtn as HTMLElement & { disabled: boolean }).disabled = !b || !sweep.configPath || !sweep.params.length;

    tChart ??= new LineChart(tCanvas, { xTitle: 'temperature T', yTitle: metric, percent: true }, palette);
    const groups = linesByAlpha(sweep);
    const lines: LineSpec[] = groups.map((g, i) => ({
      label: g.label,
      xs: g.points.map((p) => p.x),
      ys: g.points.map((p) => p.y),
      color: palette.series[i % palette.series.length],
      points: true,
      // Each point is a setting's mean over its seeds; the whiskers are ± one sd.
      errors: g.points.map((p) => p.sd),
      highlight: bestRow ? g.points.flatMap((p, k) => (p.trials.some((id) => bestIds.has(id)) ? [k] : [])) : undefined,
    }));
    const xs = groups.flatMap((g) => g.points.map((p) => p.x));
    const baseSd = sweep.baseline?.metric?.sd;
    if (baselineY !== undefined && Number.isFinite(baselineY) && xs.length && baseSd !== undefined && baseSd > 0) {
      // The baseline's band: its mean ± sd over the seeds, the spread a setting must clear.
      const span = [Math.min(...xs), Math.max(...xs)];
      lines.push(
        { label: 'baseline − sd', xs: span, ys: [baselineY - baseSd, baselineY - baseSd], color: palette.baseline, width: 0, hideInLegend: true },
        {
          label: `${baselineName(sweep.baselineStart, 'from')} ± sd`,
          xs: span,
          ys: [baselineY + baseSd, baselineY + baseSd],
          color: palette.baseline,
          width: 0,
          fillToPrevious: true,
        },
      );
    }
    if (baselineY !== undefined && Number.isFinite(baselineY) && xs.length)
      lines.push({
        label: `${baselineName(sweep.baselineStart, 'from')} (baseline)`,
        xs: [Math.min(...xs), Math.max(...xs)],
        ys: [baselineY, baselineY],
        color: palette.baseline,
        dash: [6, 4],
      });
    tChart.setLines(lines);
    drawParallel(bestIds);
    renderHeat();
    renderSettings();
    renderTable(bestIds);
    post({ type: 'rendered', view: 'sweep', steps: 0, epochs: trials.length, status: sweep.status, charts: [tCanvas, parCanvas].filter(canvasHasInk).length });
  }

  function renderHeat() {
    const grid = sweep && heatGrid(sweep);
    if (!grid) return heat.replaceChildren();
    const vals = grid.cells.flat().filter(Number.isFinite);
    const lo = Math.min(...vals);
    const hi = Math.max(...vals);
    replace(
      heat,
      h(
        'section',
        { class: 'card' },
        h('h3', null, `${sweep!.metricLabel} (mean over seeds) by T (columns) and α (rows)`),
        h(
          'table',
          { class: 'matrix heat' },
          h(
            'thead',
            null,
            h(
              'tr',
              null,
              h('th', null, 'α \\ T'),
              grid.temperatures.map((t) => h('th', null, String(t))),
            ),
          ),
          h(
            'tbody',
            null,
            grid.alphas.map((a, i) =>
              h(
                'tr',
                null,
                h('th', null, String(a)),
                grid.cells[i].map((v) => {
                  const td = h('td', { title: fmtPct(v) }, Number.isFinite(v) ? (v * 100).toFixed(1) : '·');
                  if (Number.isFinite(v)) td.style.backgroundColor = withAlpha(palette.student, 0.15 + 0.8 * (hi > lo ? (v - lo) / (hi - lo) : 1));
                  return td;
                }),
              ),
            ),
          ),
        ),
      ),
    );
  }

  function renderSettings() {
    const rows = settingRows(sweep!);
    const params = sweptPaths(sweep!);
    replace(
      settingsTable,
      h(
        'table',
        { class: 'grid settings' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            params.map((p) => h('th', { scope: 'col' }, p.replace(/^distillation\./, ''))),
            ['mean ± sd', 'test acc.', 'vs baseline', 'verdict', 'seeds'].map((c) => h('th', { scope: 'col' }, c)),
          ),
        ),
        h(
          'tbody',
          null,
          rows.map((r) =>
            h(
              'tr',
              { class: r.best ? 'best' : '' },
              params.map((p) => h('td', { class: 'num' }, String(r.params[p] ?? '—'))),
              h('td', { class: 'num' }, r.metric),
              h('td', { class: 'num' }, r.testAccuracy),
              h('td', null, r.vsBaseline),
              h('td', { 'data-verdict': r.verdict }, r.verdict),
              h('td', { class: 'num' }, String(r.seeds)),
            ),
          ),
        ),
      ),
    );
  }

  function renderTable(bestIds: Set<string>) {
    const cols = trialColumns(sweep!);
    const sortCol = cols.find((c) => c.key === ui.sort?.key);
    // Every trial, the baselines too (labelled): the count agrees with the CLI's.
    const trials = sweep!.trials;
    const rows = sortCol ? sortTrials(trials, sortCol, !!ui.sort?.descending) : trials;
    const head = h(
      'tr',
      null,
      cols.map((c) => {
        const th = h(
          'th',
          { scope: 'col', class: 'sortable', tabindex: 0, 'aria-sort': ui.sort?.key === c.key ? (ui.sort.descending ? 'descending' : 'ascending') : 'none' },
          c.label,
          ui.sort?.key === c.key ? (ui.sort.descending ? ' ▼' : ' ▲') : '',
        );
        const sort = () => {
          ui = { ...ui, sort: { key: c.key, descending: ui.sort?.key === c.key ? !ui.sort.descending : true } };
          setUiState(ui);
          render();
        };
        th.addEventListener('click', sort);
        th.addEventListener('keydown', (e) => e.key === 'Enter' && sort());
        return th;
      }),
    );
    const cell = (v: unknown, key: string) =>
      typeof v === 'number'
        ? key === 'gain'
          ? `${v >= 0 ? '+' : '−'}${Math.abs(v * 100).toFixed(2)} pts`
          : /Accuracy$/.test(key)
            ? fmtPct(v)
            : String(v)
        : v === undefined
          ? '—'
          : String(v);
    replace(
      table,
      h(
        'table',
        { class: 'grid trials' },
        h('thead', null, head),
        h(
          'tbody',
          null,
          rows.map((t) => {
            const tr = h(
              'tr',
              { class: bestIds.has(t.id) ? 'best' : '', 'data-trial': t.id },
              cols.map((c) => {
                if (c.key !== 'id') return h('td', { class: typeof c.value(t) === 'number' ? 'num' : '' }, cell(c.value(t), c.key));
                const open = h('a', { href: '#', title: 'Open this trial’s dashboard', 'data-testid': 'open-trial' }, t.id);
                open.addEventListener('click', (e) => (e.preventDefault(), post({ type: 'openRun', runDir: t.runDir })));
                return h(
                  'td',
                  null,
                  open,
                  t.kind === 'baseline' ? [' ', h('span', { class: 'tag' }, `baseline (${baselineName(sweep!.baselineStart, 'short')})`)] : '',
                );
              }),
            );
            tr.addEventListener('dblclick', () => post({ type: 'openRun', runDir: t.runDir }));
            return tr;
          }),
        ),
      ),
    );
  }

  function drawParallel(bestIds: Set<string>) {
    const { axes, lines } = parallelAxes(sweep!);
    const fmt = (key: string) => (v: number) => (key === 'valAccuracy' ? `${(v * 100).toFixed(1)}%` : String(Number(v.toPrecision(3))));
    drawParallelCanvas(
      parCanvas,
      axes.map((a) => ({ ...a, format: fmt(a.key) })),
      lines.map((l) => ({ values: l.values, highlight: bestIds.has(l.trial) })),
      palette,
    );
  }

  const schedule = throttledRender(render);
  window.addEventListener('resize', () => schedule());
  connect('sweep', (m: HostMessage) => {
    if (m.type === 'init' && m.view === 'sweep') {
      sweep = m.sweep;
      sweepDir = m.sweepDir;
      ui = { ...ui, view: 'sweep', sweepDir };
      setUiState(ui);
    } else if (m.type === 'sweep') sweep = m.sweep;
    else if (m.type === 'notice') {
      text(notice, m.text);
      notice.className = `notice ${m.level}`;
    }
    schedule();
  });
  return {
    setPalette(p) {
      palette = p;
      schedule();
    },
  };
}
