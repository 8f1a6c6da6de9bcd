/**
 * Compare runs: their validation accuracy and loss curves overlaid, the config keys that
 * differ between them, and their results side by side.
 */
import { baselineName, humanCount, intervalText, parameterRatioText, signedPoints, sizeText } from '../../src/protocol/format';
import type { CompareRun, CompareUiState, HostMessage } from '../../src/protocol/webviewMessages';
import { canvasHasInk, LineChart, type LineSpec } from '../lib/charts';
import { fmtPct, h, replace } from '../lib/dom';
import { differingKeys, flatten, formatValue } from '../lib/flatten';
import { throttledRender } from '../lib/schedule';
import { readPalette, type Palette } from '../lib/theme';
import { connect, post, setUiState } from '../lib/vscodeApi';

export function startCompare(app: HTMLElement): { setPalette(p: Palette): void } {
  let palette = readPalette();
  let runs: CompareRun[] = [];
  const valCanvas = h('canvas', { 'data-chart': 'val' });
  const lossCanvas = h('canvas', { 'data-chart': 'loss' });
  const resultsBox = h('div', { 'data-testid': 'compare-results' });
  const diffBox = h('div', { 'data-testid': 'config-diff' });
  const heading = h('h1');
  app.append(
    h('header', { class: 'run-header' }, heading),
    h(
      'div',
      { class: 'charts' },
      h('section', { class: 'card' }, h('h3', null, 'Validation accuracy (distilled student; dashed: its baseline)'), h('div', { class: 'chart' }, valCanvas)),
      h('section', { class: 'card' }, h('h3', null, 'Distillation loss'), h('div', { class: 'chart' }, lossCanvas)),
    ),
    h('section', { class: 'card' }, h('h3', null, 'Results'), resultsBox),
    h('section', { class: 'card' }, h('h3', null, 'Config differences'), diffBox),
  );
  app.removeAttribute('aria-busy');
  let valChart: LineChart | undefined;
  let lossChart: LineChart | undefined;

  const color = (i: number) => palette.series[i % palette.series.length];
  const runName = (r: CompareRun) => (r.name === r.runId ? r.runId : `${r.name} (${r.runId})`);

  function render() {
    heading.textContent = `Comparing ${runs.length} run${runs.length === 1 ? '' : 's'}`;
    valChart ??= new LineChart(valCanvas, { xTitle: 'epoch', yTitle: 'validation accuracy', percent: true, xInteger: true }, palette);
    lossChart ??= new LineChart(lossCanvas, { xTitle: 'step', yTitle: 'loss', xInteger: true }, palette);
    const val: LineSpec[] = [];
    const loss: LineSpec[] = [];
    runs.forEach((r, i) => {
      const d = r.series.epochs.distill;
      if (d) val.push({ label: runName(r), xs: d.epoch, ys: d.val, color: color(i), points: true });
      const b = r.series.epochs.baseline;
      if (b)
        val.push({
          label: `${runName(r)} · ${baselineName(r.summary, 'short')}`,
          xs: b.epoch,
          ys: b.val,
          color: color(i),
          dash: [6, 4],
          points: true,
          width: 1,
        });
      const l = r.series.loss['distill/total'];
      if (l) loss.push({ label: runName(r), xs: l.x, ys: l.y, color: color(i) });
    });
    valChart.setLines(val);
    lossChart.setLines(loss);

    const row = (label: string, cells: string[]) =>
      h(
        'tr',
        null,
        h('th', { scope: 'row' }, label),
        cells.map((c) => h('td', { class: 'num' }, c)),
      );
    const header = h(
      'tr',
      null,
      h('th', null, ''),
      runs.map((r, i) => {
        const a = h('a', { href: '#', title: r.runDir }, runName(r));
        a.addEventListener('click', (e) => (e.preventDefault(), post({ type: 'openRun', runDir: r.runDir })));
        const swatch = h('span', { class: 'swatch' });
        swatch.style.backgroundColor = color(i);
        return h('th', { scope: 'col' }, swatch, a);
      }),
    );
    replace(
      resultsBox,
      h(
        'table',
        { class: 'grid' },
        h('thead', null, header),
        h(
          'tbody',
          null,
          row(
            'status',
            runs.map((r) => r.summary?.status ?? r.series.status),
          ),
          row(
            'distilled test acc.',
            runs.map((r) => fmtPct(r.summary?.student?.testAccuracy)),
          ),
          row(
            'baseline test acc.',
            runs.map((r) => (r.summary?.baseline ? `${fmtPct(r.summary.baseline.testAccuracy)} (${baselineName(r.summary, 'short')})` : '—')),
          ),
          row(
            'gain',
            runs.map((r) =>
              r.summary?.gain === undefined
                ? '—'
                : r.summary.significance
                  ? `${signedPoints(r.summary.gain)} (${intervalText(r.summary.significance)}): ${r.summary.significance.verdict}`
                  : signedPoints(r.summary.gain),
            ),
          ),
          row(
            'teacher test acc.',
            runs.map((r) => fmtPct(r.summary?.teacher?.testAccuracy)),
          ),
          row(
            'agreement',
            runs.map((r) => fmtPct(r.summary?.agreement)),
          ),
          row(
            'student params',
            runs.map((r) => (r.summary?.student ? humanCount(r.summary.student.params) : '—')),
          ),
          row(
            'student size',
            runs.map((r) => (r.summary?.student ? sizeText(r.summary.student) : '—')),
          ),
          row(
            'compression',
            runs.map((r) => (r.summary?.compression === undefined ? '—' : parameterRatioText(r.summary.compression))),
          ),
        ),
      ),
    );
    const flat = runs.map((r) => flatten(r.config));
    const keys = differingKeys(flat);
    replace(
      diffBox,
      keys.length
        ? h(
            'table',
            { class: 'grid' },
            h(
              'thead',
              null,
              h(
                'tr',
                null,
                h('th', null, 'key'),
                runs.map((r) => h('th', null, runName(r))),
              ),
            ),
            h(
              'tbody',
              null,
              keys.map((k) =>
                h(
                  'tr',
                  null,
                  h('th', { scope: 'row', class: 'mono' }, k),
                  flat.map((f) => h('td', { class: 'mono' }, formatValue(f[k]))),
                ),
              ),
            ),
          )
        : h(
            'p',
            { class: 'muted' },
            runs.length > 1
              ? 'The configs are identical (differences come from randomness or the data).'
              : 'Pick two or more runs to see how their configs differ.',
          ),
    );
    post({
      type: 'rendered',
      view: 'compare',
      steps: runs.reduce((a, r) => a + r.series.stepCount, 0),
      epochs: val.length,
      status: 'ok',
      charts: [valCanvas, lossCanvas].filter(canvasHasInk).length,
    });
  }
  const schedule = throttledRender(render);

  connect('compare', (m: HostMessage) => {
    if (m.type === 'init' && m.view === 'compare') {
      runs = m.runs;
      const state: CompareUiState = { view: 'compare', runDirs: runs.map((r) => r.runDir) };
      setUiState(state);
      schedule();
    }
  });
  return {
    setPalette(p) {
      palette = p;
      schedule();
    },
  };
}
