/**
 * Teacher vs. student: both confusion matrices side by side (counts or row-normalised), their
 * difference, per-class accuracy bars, the agreement rate, and, beside a clicked cell, that
 * cell's samples (cellPopover.ts: thumbnails and top classes from logits.json's stored samples).
 */
import type { RunSummary } from '../../src/protocol/events';
import { baselineName } from '../../src/protocol/format';
import type { DashboardUiState, LogitsFile, PredictionsFile } from '../../src/protocol/webviewMessages';
import { BarChart } from '../lib/charts';
import { agreementRate, confusionFrom, difference, perClassAccuracy, rowNormalise } from '../lib/confusion';
import { fmtPct, h, replace } from '../lib/dom';
import { withAlpha, type Palette } from '../lib/theme';
import { CellPopover } from './cellPopover';

export interface ConfusionInput {
  summary?: RunSummary;
  predictions?: PredictionsFile;
  logits?: LogitsFile;
  palette: Palette;
}

type Model = 'teacher' | 'student' | 'diff';
type Ui = Pick<DashboardUiState, 'normalise' | 'cell' | 'confusionModel'>;

export class ConfusionView {
  readonly root = h('div', { class: 'confusion', 'data-testid': 'confusion' });
  private readonly controls = h('div', { class: 'toolbar' });
  private readonly matrices = h('div', { class: 'matrices' });
  private readonly samples = h('div', { class: 'samples', 'aria-live': 'polite' });
  private readonly barsCanvas = h('canvas', { 'aria-label': 'Per-class accuracy of teacher and student' });
  private bars?: BarChart;
  private input?: ConfusionInput;
  private readonly popover = new CellPopover(this.root, () => this.closeCell());

  constructor(
    private ui: Ui,
    private readonly onUi: (ui: Ui) => void,
  ) {
    this.root.append(
      this.controls,
      this.matrices,
      this.samples,
      h('section', { class: 'card' }, h('h3', null, 'Per-class accuracy'), h('div', { class: 'chart short' }, this.barsCanvas)),
      this.popover.el,
    );
  }

  /** Escape or ✕ in the popover: the cell is unselected and gets the focus back. */
  private closeCell(): void {
    const cell = this.ui.cell;
    this.set({ cell: undefined });
    if (cell)
      this.matrices.querySelector<HTMLElement>(`td[data-model="${cell.model}"][data-actual="${cell.actual}"][data-predicted="${cell.predicted}"]`)?.focus();
  }

  update(input: ConfusionInput): void {
    this.input = input;
    this.render();
  }

  private matricesOf(): { teacher?: number[][]; student?: number[][]; studentLabel: string } {
    const { summary, predictions } = this.input ?? {};
    const which = this.ui.confusionModel ?? 'student';
    const n = summary?.numClasses ?? (predictions ? Math.max(...predictions.labels) + 1 : 0);
    const fromPred = (p?: number[]) => (predictions && p ? confusionFrom(predictions.labels, p, n) : undefined);
    const teacher = summary?.teacher?.confusion ?? fromPred(predictions?.teacher);
    const student =
      which === 'baseline'
        ? (summary?.baseline?.confusion ?? fromPred(predictions?.baseline))
        : (summary?.student?.confusion ?? fromPred(predictions?.student));
    return { teacher, student, studentLabel: which === 'baseline' ? baselineName(summary) : 'distilled student' };
  }

  private render(focusSamples = false): void {
    const input = this.input;
    if (!input) return;
    const { teacher, student, studentLabel } = this.matricesOf();
    this.renderControls();
    if (!teacher || !student) {
      replace(this.matrices, h('p', { class: 'muted' }, 'The confusion matrices appear when the run has evaluated its models on the test split.'));
      this.samples.replaceChildren();
      this.popover.close();
      return;
    }
    const normalise = !!this.ui.normalise;
    const shown = (m: number[][]) => (normalise ? rowNormalise(m) : m);
    const t = shown(teacher);
    const s = shown(student);
    const d = difference(s, t);
    const agreement = input.predictions
      ? agreementRate(input.predictions.teacher, input.predictions[this.ui.confusionModel ?? 'student'] ?? [])
      : input.summary?.agreement;
    replace(
      this.matrices,
      h(
        'div',
        { class: 'stats' },
        h(
          'div',
          { class: 'stat' },
          h('div', { class: 'value', 'data-testid': 'agreement' }, fmtPct(agreement)),
          h('div', { class: 'label' }, `teacher–${studentLabel} agreement`),
        ),
      ),
      h(
        'div',
        { class: 'matrix-row' },
        this.matrix('teacher', `teacher${input.summary?.teacher?.id ? ` (${input.summary.teacher.id})` : ''}`, t, teacher, normalise),
        this.matrix('student', studentLabel, s, student, normalise),
        this.matrix('diff', `${studentLabel} − teacher`, d, difference(student, teacher), normalise),
      ),
    );
    this.renderBars(teacher, student, studentLabel);
    this.renderSamples(studentLabel, focusSamples);
  }

  private renderControls(): void {
    const which = this.ui.confusionModel ?? 'student';
    const hasBaseline = !!(this.input?.summary?.baseline || this.input?.predictions?.baseline);
    const select = h(
      'select',
      {
        'aria-label': 'Student to compare',
        onchange: (e: Event) => this.set({ confusionModel: (e.target as HTMLSelectElement).value as 'student' | 'baseline', cell: undefined }),
      },
      h('option', { value: 'student', selected: which === 'student' }, 'distilled student'),
      hasBaseline ? h('option', { value: 'baseline', selected: which === 'baseline' }, baselineName(this.input?.summary)) : null,
    );
    const toggle = h('vscode-checkbox', { label: 'row-normalised', checked: !!this.ui.normalise, 'data-testid': 'normalise' });
    (toggle as HTMLElement & { checked: boolean }).checked = !!this.ui.normalise;
    toggle.addEventListener('change', () => this.set({ normalise: (toggle as HTMLElement & { checked: boolean }).checked }));
    replace(this.controls, h('label', null, 'Compare the teacher with ', select), toggle);
  }

  private set(patch: Partial<Ui>, focusSamples = false): void {
    this.ui = { ...this.ui, ...patch };
    this.onUi(this.ui);
    this.render(focusSamples);
  }

  private matrix(model: Model, title: string, shown: number[][], counts: number[][], normalise: boolean): HTMLElement {
    const p = this.input!.palette;
    const n = shown.length;
    const maxAbs = Math.max(1e-9, ...shown.flatMap((row) => row.map((v) => Math.abs(v))));
    const offMax = Math.max(1e-9, ...shown.flatMap((row, i) => row.map((v, j) => (i === j ? 0 : Math.abs(v)))));
    const showNumbers = n <= 20;
    const sel = this.ui.cell;
    const table = h('table', {
      class: `matrix ${n > 20 ? 'dense' : ''}`,
      'data-model': model,
      role: 'grid',
      'aria-label': `${title} confusion matrix, rows are true classes, columns predicted`,
    });
    table.append(
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          h('th', { class: 'corner', title: 'true ↓ / predicted →' }, 't\\p'),
          shown.map((_, j) => h('th', { scope: 'col' }, this.className(j))),
        ),
      ),
    );
    const body = h('tbody');
    shown.forEach((row, i) => {
      const tr = h('tr', null, h('th', { scope: 'row' }, this.className(i)));
      row.forEach((v, j) => {
        const count = counts[i][j];
        const label = normalise
          ? model === 'diff'
            ? `${v >= 0 ? '+' : ''}${(v * 100).toFixed(0)}`
            : (v * 100).toFixed(0)
          : model === 'diff' && v > 0
            ? `+${v}`
            : String(v);
        const td = h('td', {
          'data-model': model,
          'data-actual': i,
          'data-predicted': j,
          'data-count': count,
          tabindex: 0,
          title: `true ${i}, predicted ${j}: ${model === 'diff' ? `${count >= 0 ? '+' : ''}${count}` : count}${normalise ? ` (${(v * 100).toFixed(1)}% of row)` : ''}`,
          class: sel && sel.model === model && sel.actual === i && sel.predicted === j ? 'selected' : '',
        });
        if (showNumbers && (v !== 0 || i === j)) td.textContent = label;
        // Colour: agreement (diagonal) in the accent colour, confusion off it in red; the
        // difference is green where the student does better than the teacher, red where worse.
        let color: string;
        let alpha: number;
        if (model === 'diff') {
          const better = i === j ? v > 0 : v < 0;
          color = better ? p.good : p.bad;
          alpha = Math.abs(v) / (i === j ? maxAbs : offMax);
        } else {
          color = i === j ? p.student : p.bad;
          alpha = i === j ? Math.abs(v) / maxAbs : Math.abs(v) / offMax;
        }
        if (v !== 0) td.style.backgroundColor = withAlpha(color, 0.12 + 0.75 * Math.min(1, alpha));
        const pick = (focus: boolean) => this.set({ cell: { model, actual: i, predicted: j } }, focus);
        td.addEventListener('click', () => pick(false));
        td.addEventListener('keydown', (e) => (e.key === 'Enter' || e.key === ' ') && (e.preventDefault(), pick(true)));
        tr.append(td);
      });
      body.append(tr);
    });
    table.append(body);
    return h(
      'section',
      { class: 'card matrix-card' },
      h('h3', null, title),
      h('div', { class: 'matrix-scroll' }, table),
      h('p', { class: 'muted small' }, 'rows: true class · columns: predicted'),
    );
  }

  /** A class's name from summary.json (image folders, CSV strings, CIFAR), else its number. */
  private className(i: number): string {
    return this.input?.summary?.classNames?.[i] ?? String(i);
  }

  private renderBars(teacher: number[][], student: number[][], studentLabel: string): void {
    const p = this.input!.palette;
    this.bars ??= new BarChart(this.barsCanvas, { xTitle: 'class', yTitle: 'accuracy', percent: true, yMax: 1 }, p);
    this.bars.setBars(
      teacher.map((_, i) => this.className(i)),
      [
        { label: 'teacher', values: perClassAccuracy(teacher), color: p.teacher },
        { label: studentLabel, values: perClassAccuracy(student), color: this.ui.confusionModel === 'baseline' ? p.baseline : p.student },
      ],
    );
  }

  /** The clicked cell's samples, in the popover beside that cell (cellPopover.ts). */
  private renderSamples(studentLabel: string, focus = false): void {
    const cell = this.ui.cell;
    const anchor =
      cell && this.matrices.querySelector<HTMLElement>(`td[data-model="${cell.model}"][data-actual="${cell.actual}"][data-predicted="${cell.predicted}"]`);
    if (!cell || !anchor) {
      this.popover.close();
      replace(this.samples, h('p', { class: 'muted' }, 'Click a cell (or focus it and press Enter) to see its test samples beside it.'));
      return;
    }
    this.samples.replaceChildren();
    const { predictions, logits } = this.input!;
    const studentKey = this.ui.confusionModel ?? 'student';
    this.popover.open({ cell, predictions, logits, studentKey, studentLabel, className: (i) => this.className(i) }, anchor, focus);
  }

  applyPalette(p: Palette): void {
    if (this.input) this.update({ ...this.input, palette: p });
  }
}
