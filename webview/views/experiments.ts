/**
 * The experiments table: every run and sweep trial of the workspace, one row each, with the
 * settings that differ between the shown rows and the honest metrics (distilled, scratch, the
 * gain with its interval and verdict). Sort by any column, filter by words, status and verdict,
 * group by kd.json or sweep, pin a row to read every other against it, hide the columns that do
 * not differ; select rows to Compare them or plot a metric against a setting (and parallel
 * coordinates over the selection); export what is shown as CSV. The host sends fresh rows as
 * runs start, progress and end. The model is webview/lib/experimentsTable.ts.
 */
import type { ExperimentRow } from '../../src/protocol/experiments';
import { formatDuration, humanBytes, intervalPoints, signedPoints } from '../../src/protocol/format';
import type { ExperimentsUiState, HostMessage } from '../../src/protocol/webviewMessages';
import { canvasHasInk, LineChart, type LineSpec } from '../lib/charts';
import { fmtPct, h, replace, text } from '../lib/dom';
import {
  allParams,
  filterRows,
  groupRows,
  METRIC_COLUMNS,
  rowsCsv,
  sortRows,
  tableColumns,
  vsPinned,
  type CellValue,
  type Column,
  type GroupBy,
} from '../lib/experimentsTable';
import { drawParallel, onAxis } from '../lib/parallelCoords';
import { runIdentityBits } from './runIdentity';
import { throttledRender } from '../lib/schedule';
import { readPalette, type Palette } from '../lib/theme';
import { connect, getUiState, post, setUiState } from '../lib/vscodeApi';

const STATUSES = ['running', 'queued', 'done', 'failed', 'stopped', 'crashed', 'not-responding'];
const VERDICTS = ['better', 'no measurable difference', 'worse', 'none'];
/** Metrics a plot can put on its y axis. */
const PLOT_METRICS = METRIC_COLUMNS.filter((c) => c.kind === 'percent' || c.kind === 'points' || c.kind === 'bytes' || c.kind === 'ms');

/** A cell as a person reads it. */
export function cellText(c: Column, v: CellValue): string {
  if (v === undefined || v === null || (typeof v === 'number' && !Number.isFinite(v))) return '—';
  if (typeof v === 'number') {
    if (c.kind === 'percent') return fmtPct(v);
    if (c.kind === 'points') return signedPoints(v);
    if (c.kind === 'duration') return formatDuration(v);
    if (c.kind === 'bytes') return humanBytes(v);
    if (c.kind === 'ms') return `${v >= 10 ? v.toFixed(1) : v.toFixed(3)} ms`;
  }
  if (c.kind === 'time' && typeof v === 'string') {
    const d = new Date(v);
    return Number.isNaN(d.getTime()) ? v : `${d.toLocaleDateString()} ${d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}`;
  }
  return String(v);
}

function deltaText(c: Column, d: number): string {
  if (c.kind === 'percent' || c.kind === 'points') return signedPoints(d);
  if (c.kind === 'duration') return `${d >= 0 ? '+' : '−'}${formatDuration(Math.abs(d))}`;
  if (c.kind === 'bytes') return `${d >= 0 ? '+' : '−'}${humanBytes(Math.abs(d))}`;
  return `${d >= 0 ? '+' : '−'}${Math.abs(d).toFixed(3)} ms`;
}

export function startExperiments(app: HTMLElement): { setPalette(p: Palette): void } {
  let palette = readPalette();
  let rows: ExperimentRow[] = [];
  let ui: ExperimentsUiState = getUiState<ExperimentsUiState>('experiments') ?? { view: 'experiments' };
  const selected = new Set<string>();
  let plotOpen = false;

  const facts = h('div', { class: 'facts', 'data-testid': 'experiments-facts' });
  const notice = h('div', { class: 'notice', role: 'status', 'data-testid': 'notice' });
  const filterInput = h('input', { type: 'search', placeholder: 'Filter: words, or setting=value', 'aria-label': 'Filter rows', 'data-testid': 'filter' });
  filterInput.value = ui.filter ?? '';
  filterInput.addEventListener('input', () => save({ filter: filterInput.value }));
  const groupSelect = h(
    'select',
    { 'aria-label': 'Group rows', 'data-testid': 'group' },
    h('option', { value: 'none' }, 'no grouping'),
    h('option', { value: 'kdjson' }, 'group by kd.json'),
    h('option', { value: 'sweep' }, 'group by sweep'),
  );
  groupSelect.value = ui.group ?? 'none';
  groupSelect.addEventListener('change', () => save({ group: groupSelect.value as GroupBy }));
  const onlyDiff = h('input', { type: 'checkbox', 'data-testid': 'only-differing' });
  onlyDiff.checked = !!ui.onlyDiffering;
  onlyDiff.addEventListener('change', () => save({ onlyDiffering: onlyDiff.checked }));
  const addColumn = h('select', { 'aria-label': 'Add a setting as a column', 'data-testid': 'add-column' });
  addColumn.addEventListener('change', () => {
    if (addColumn.value) save({ columns: [...(ui.columns ?? []), addColumn.value] });
  });
  const statusChips = h('span', { class: 'chips', 'data-testid': 'status-filter' });
  const verdictChips = h('span', { class: 'chips', 'data-testid': 'verdict-filter' });
  const compareBtn = h('vscode-button', { 'data-testid': 'compare' }, 'Compare');
  const plotBtn = h('vscode-button', { secondary: true, 'data-testid': 'plot' }, 'Plot');
  const csvBtn = h('vscode-button', { secondary: true, 'data-testid': 'export-csv' }, 'Export CSV');
  const unpinBtn = h('vscode-button', { secondary: true, 'data-testid': 'unpin' }, 'Unpin baseline');
  compareBtn.addEventListener('click', () => {
    const dirs = rows.filter((r) => selected.has(r.id)).map((r) => r.runDir);
    if (dirs.length) post({ type: 'compareRuns', runDirs: dirs });
  });
  plotBtn.addEventListener('click', () => {
    plotOpen = !plotOpen;
    schedule();
  });
  csvBtn.addEventListener('click', () => {
    const { shown, columns } = view();
    post({ type: 'exportCsv', fileName: 'experiments.csv', csv: rowsCsv(shown, columns) });
  });
  unpinBtn.addEventListener('click', () => save({ pinned: undefined }));

  const tableBox = h('div', { class: 'table-scroll', 'data-testid': 'experiments' });
  const metricSelect = h(
    'select',
    { 'aria-label': 'Metric', 'data-testid': 'plot-metric' },
    ...PLOT_METRICS.map((c) => h('option', { value: c.key }, c.label)),
  );
  const paramSelect = h('select', { 'aria-label': 'Setting', 'data-testid': 'plot-param' });
  const kindSelect = h(
    'select',
    { 'aria-label': 'Plot kind', 'data-testid': 'plot-kind' },
    h('option', { value: 'scatter' }, 'scatter'),
    h('option', { value: 'line' }, 'line'),
  );
  for (const s of [metricSelect, paramSelect, kindSelect]) s.addEventListener('change', () => schedule());
  const plotCanvas = h('canvas', { 'data-chart': 'metric-vs-param' });
  const parCanvas = h('canvas', { class: 'parallel', 'data-chart': 'parallel', 'aria-label': 'Parallel coordinates of the selected rows' });
  const plotNote = h('p', { class: 'muted small', 'data-testid': 'plot-note' });
  const plotBox = h(
    'section',
    { class: 'card', 'data-testid': 'plot-box', hidden: true },
    h('h3', null, 'Plot of the selected rows (all shown rows when none is selected)'),
    h('div', { class: 'toolbar' }, h('label', null, 'metric ', metricSelect), h('label', null, 'against ', paramSelect), h('label', null, 'as ', kindSelect)),
    plotNote,
    h('div', { class: 'charts' }, h('div', { class: 'chart' }, plotCanvas), h('div', { class: 'chart' }, parCanvas)),
  );

  app.append(
    h(
      'header',
      { class: 'run-header' },
      h('div', { class: 'title-row' }, h('h1', null, 'Experiments'), h('div', { class: 'spacer' }), compareBtn, plotBtn, csvBtn, unpinBtn),
      facts,
      notice,
    ),
    h('div', { class: 'toolbar' }, filterInput, groupSelect, h('label', null, onlyDiff, ' only differing columns'), addColumn),
    h('div', { class: 'toolbar small' }, h('span', { class: 'muted' }, 'status'), statusChips, h('span', { class: 'muted' }, 'verdict'), verdictChips),
    plotBox,
    tableBox,
  );
  app.removeAttribute('aria-busy');
  let plotChart: LineChart | undefined;

  function save(patch: Partial<ExperimentsUiState>) {
    ui = { ...ui, ...patch, view: 'experiments' };
    setUiState(ui);
    schedule();
  }

  /** What is shown: filtered, sorted; its columns chosen from the shown rows. */
  function view() {
    const filtered = filterRows(rows, { text: ui.filter, statuses: ui.statuses, verdicts: ui.verdicts });
    const columns = tableColumns(filtered, { extra: ui.columns, onlyDiffering: ui.onlyDiffering });
    const sortCol = columns.find((c) => c.key === ui.sort?.key);
    const shown = sortCol ? sortRows(filtered, sortCol, !!ui.sort?.descending) : filtered;
    return { shown, columns };
  }

  function chips(box: HTMLElement, values: readonly string[], present: Set<string>, chosen: readonly string[] | undefined, key: 'statuses' | 'verdicts') {
    replace(
      box,
      values
        .filter((v) => present.has(v))
        .map((v) => {
          const box = h('input', { type: 'checkbox', 'data-value': v });
          box.checked = !!chosen?.includes(v);
          box.addEventListener('change', () => {
            const next = new Set(ui[key] ?? []);
            if (box.checked) next.add(v);
            else next.delete(v);
            save({ [key]: [...next] });
          });
          return h('label', { class: 'chip' }, box, ` ${v}`);
        }),
    );
  }

  function render() {
    const { shown, columns } = view();
    const pinned = rows.find((r) => r.id === ui.pinned);
    for (const id of [...selected]) if (!rows.some((r) => r.id === id)) selected.delete(id);
    const live = rows.filter((r) => r.status === 'running').length;
    text(
      facts,
      [
        `${rows.length} run${rows.length === 1 ? '' : 's'}`,
        shown.length !== rows.length ? `${shown.length} shown` : '',
        live ? `${live} running` : '',
        selected.size ? `${selected.size} selected` : '',
        pinned ? `differences against ${pinned.name}` : '',
      ]
        .filter(Boolean)
        .join(' · '),
    );
    chips(statusChips, STATUSES, new Set(rows.map((r) => r.status)), ui.statuses, 'statuses');
    chips(verdictChips, VERDICTS, new Set(rows.map((r) => r.metrics.verdict ?? 'none')), ui.verdicts, 'verdicts');
    const shownParams = new Set(columns.filter((c) => c.kind === 'param').map((c) => c.title));
    replace(
      addColumn,
      h('option', { value: '' }, '+ add a setting as a column'),
      ...allParams(rows)
        .filter((p) => !shownParams.has(p))
        .map((p) => h('option', { value: p }, p)),
    );
    (compareBtn as HTMLElement & { disabled: boolean }).disabled = selected.size < 1;
    (unpinBtn as HTMLElement & { disabled: boolean }).disabled = !pinned;
    renderTable(shown, columns, pinned);
    plotBox.hidden = !plotOpen;
    if (plotOpen) renderPlot(shown, columns);
    post({
      type: 'rendered',
      view: 'experiments',
      // For the experiments table: rows shown, and rows in all.
      steps: shown.length,
      epochs: rows.length,
      status: live ? 'running' : 'ok',
      charts: plotOpen ? [plotCanvas, parCanvas].filter(canvasHasInk).length : 0,
    });
  }

  function renderTable(shown: ExperimentRow[], columns: Column[], pinned: ExperimentRow | undefined) {
    const all = h('input', { type: 'checkbox', 'aria-label': 'Select every shown row', 'data-testid': 'select-all' });
    all.checked = shown.length > 0 && shown.every((r) => selected.has(r.id));
    all.addEventListener('change', () => {
      for (const r of shown)
        if (all.checked) selected.add(r.id);
        else selected.delete(r.id);
      schedule();
    });
    const head = h(
      'tr',
      null,
      h('th', { class: 'pick' }, all),
      h('th', { class: 'pick', title: 'Pin a row as the baseline the others are read against' }, '📌'),
      columns.map((c) => {
        const sorted = ui.sort?.key === c.key;
        const th = h(
          'th',
          {
            scope: 'col',
            class: 'sortable',
            tabindex: 0,
            title: c.title,
            'data-col': c.key,
            'aria-sort': sorted ? (ui.sort!.descending ? 'descending' : 'ascending') : 'none',
          },
          c.label,
          sorted ? (ui.sort!.descending ? ' ▼' : ' ▲') : '',
        );
        const sort = () => save({ sort: { key: c.key, descending: sorted ? !ui.sort!.descending : c.kind !== 'text' && c.kind !== 'param' } });
        th.addEventListener('click', sort);
        th.addEventListener('keydown', (e) => e.key === 'Enter' && sort());
        return th;
      }),
    );
    const rowEl = (r: ExperimentRow) => {
      const pick = h('input', { type: 'checkbox', 'aria-label': `Select ${r.name}` });
      pick.checked = selected.has(r.id);
      pick.addEventListener('change', () => {
        if (pick.checked) selected.add(r.id);
        else selected.delete(r.id);
        schedule();
      });
      const pin = h(
        'button',
        { class: 'pin', title: r.id === ui.pinned ? 'Unpin' : 'Pin as the baseline', 'aria-pressed': String(r.id === ui.pinned) },
        r.id === ui.pinned ? '📌' : '·',
      );
      pin.addEventListener('click', () => save({ pinned: r.id === ui.pinned ? undefined : r.id }));
      const tr = h(
        'tr',
        { 'data-run': r.id, class: [r.id === ui.pinned ? 'pinned' : '', selected.has(r.id) ? 'selected' : ''].join(' ').trim() },
        h('td', { class: 'pick' }, pick),
        h('td', { class: 'pick' }, pin),
        columns.map((c) => cell(r, c, pinned)),
      );
      tr.addEventListener('dblclick', () => post({ type: 'openRun', runDir: r.runDir }));
      return tr;
    };
    const span = columns.length + 2;
    const groups = groupRows(shown, (ui.group ?? 'none') as GroupBy);
    const body = groups.flatMap((g) => {
      const out: HTMLElement[] = [];
      if (g.label) {
        const label: (Node | string)[] = [`${g.label} · ${g.rows.length} row${g.rows.length === 1 ? '' : 's'}`];
        if (g.sweepDir) {
          const open = h('a', { href: '#', 'data-testid': 'open-sweep' }, 'open sweep view');
          const dir = g.sweepDir;
          open.addEventListener('click', (e) => (e.preventDefault(), post({ type: 'openSweep', sweepDir: dir })));
          label.push(' · ', open);
        }
        out.push(h('tr', { class: 'group' }, h('th', { colspan: span, scope: 'rowgroup' }, ...label)));
      }
      return [...out, ...g.rows.map(rowEl)];
    });
    replace(
      tableBox,
      rows.length
        ? h('table', { class: 'grid experiments' }, h('thead', null, head), h('tbody', null, body))
        : h('p', { class: 'muted' }, 'No runs yet in this workspace. Start one on a kd.json (Distill: Start Run), or run `distill run kd.json` in a terminal.'),
    );
  }

  function cell(r: ExperimentRow, c: Column, pinned: ExperimentRow | undefined): HTMLElement {
    const v = c.value(r);
    const numeric = typeof v === 'number';
    let shown = cellText(c, v);
    if (c.key === 'gainInterval' && r.metrics.gainInterval) shown = intervalPoints(r.metrics.gainInterval);
    if (c.key === 'status' && r.progress) shown = `${r.status} · ${r.progress}`;
    const td = h('td', { class: numeric ? 'num' : '', 'data-col': c.key, ...(c.key === 'verdict' && typeof v === 'string' ? { 'data-verdict': v } : {}) });
    if (c.key === 'name') {
      const a = h('a', { href: '#', title: `${r.runDir}\n(double-click the row, or click here, to open its dashboard)` }, shown);
      a.addEventListener('click', (e) => (e.preventDefault(), post({ type: 'openRun', runDir: r.runDir })));
      td.append(a);
      if (r.sweep?.kind === 'baseline') td.append(' ', h('span', { class: 'tag' }, 'baseline'));
      td.append(...runIdentityBits(r));
      return td;
    }
    td.append(shown);
    const d = vsPinned(r, pinned, c);
    if (d !== undefined) td.append(h('span', { class: `delta ${d > 0 ? 'up' : d < 0 ? 'down' : ''}` }, ` (${deltaText(c, d)})`));
    return td;
  }

  function renderPlot(shown: ExperimentRow[], columns: Column[]) {
    const picked = shown.filter((r) => selected.has(r.id));
    const rowsToPlot = picked.length ? picked : shown;
    const params = columns.filter((c) => c.kind === 'param' && rowsToPlot.some((r) => typeof c.value(r) === 'number'));
    const current = paramSelect.value;
    replace(paramSelect, ...params.map((c) => h('option', { value: c.key, title: c.title }, c.title)));
    if (params.some((c) => c.key === current)) paramSelect.value = current;
    const metric = PLOT_METRICS.find((c) => c.key === metricSelect.value) ?? PLOT_METRICS[0];
    const param = params.find((c) => c.key === paramSelect.value);
    const percent = metric.kind === 'percent' || metric.kind === 'points';
    plotChart ??= new LineChart(plotCanvas, { xTitle: 'setting', yTitle: 'metric', percent: true }, palette);
    const chart = plotChart.chart;
    (chart.options.scales!.x as { title: { text: string } }).title.text = param?.title ?? 'no numeric setting differs';
    (chart.options.scales!.y as { title: { text: string } }).title.text = metric.title;
    chart.options.scales!.y!.ticks!.callback = percent ? (v) => `${Math.round(Number(v) * 1000) / 10}%` : (v) => String(Number(Number(v).toPrecision(3)));
    const lines: LineSpec[] = [];
    if (param) {
      // One series per kd.json or sweep, so that what was run together reads together.
      const groups = groupRows(rowsToPlot, 'sweep');
      groups.forEach((g, i) => {
        const pts = g.rows
          .map((r) => ({ x: param.value(r), y: metric.value(r) }))
          .filter((p): p is { x: number; y: number } => typeof p.x === 'number' && typeof p.y === 'number' && Number.isFinite(p.y))
          .sort((a, b) => a.x - b.x);
        if (!pts.length) return;
        lines.push({
          label: g.label || 'runs',
          xs: pts.map((p) => p.x),
          ys: pts.map((p) => p.y),
          color: palette.series[i % palette.series.length],
          points: true,
          width: kindSelect.value === 'line' ? 2 : 0,
        });
      });
    }
    plotChart.setLines(lines);
    const plotted = lines.reduce((a, l) => a + l.xs.length, 0);
    text(
      plotNote,
      param
        ? `${plotted} of ${rowsToPlot.length} rows have both ${param.title} and ${metric.label}.`
        : 'No numeric setting differs between these rows: select rows that differ, or add a setting as a column.',
    );
    // Parallel coordinates: the numeric settings shown, then the metric.
    const axesCols = [...params, metric];
    const axes = axesCols.map((c) => {
      const vs = rowsToPlot.map((r) => c.value(r)).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
      return {
        label: c.label,
        min: vs.length ? Math.min(...vs) : 0,
        max: vs.length ? Math.max(...vs) : 1,
        format: (v: number) => (c.kind === 'percent' ? `${(v * 100).toFixed(1)}%` : cellText(c, v)),
      };
    });
    const parLines = rowsToPlot
      .filter((r) => typeof metric.value(r) === 'number')
      .map((r) => ({
        values: axesCols.map((c, i) => {
          const v = c.value(r);
          return typeof v === 'number' ? onAxis(v, axes[i]) : NaN;
        }),
        highlight: r.id === ui.pinned,
      }));
    drawParallel(parCanvas, axes, parLines, palette);
  }

  const schedule = throttledRender(render);
  window.addEventListener('resize', () => schedule());
  connect('experiments', (m: HostMessage) => {
    if ((m.type === 'init' && m.view === 'experiments') || m.type === 'experiments') {
      rows = m.rows;
      setUiState(ui);
    } else if (m.type === 'notice') {
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
