/**
 * Dark knowledge: for one test sample, the teacher's softened distribution next to the
 * student's, re-softened live in the webview as the temperature slider moves
 * (softmax(z / T) of the stored logits), with the sample's image.
 */
import type { DashboardUiState, LogitsFile } from '../../src/protocol/webviewMessages';
import { BarChart } from '../lib/charts';
import { fmtNum, fmtPct, h, replace, text } from '../lib/dom';
import { argmax, entropy, klDivergence, softmaxT } from '../lib/softmax';
import type { Palette } from '../lib/theme';
import { thumbnail } from './thumbnails';

type Ui = Pick<DashboardUiState, 'sample' | 'temperature'>;

export const T_MIN = 0.5;
export const T_MAX = 20;

export class DarkKnowledgeView {
  readonly root = h('div', { class: 'dark-knowledge', 'data-testid': 'dark-knowledge' });
  private readonly picker = h('div', { class: 'sample-strip', role: 'listbox', 'aria-label': 'Test samples' });
  private readonly image = h('div', { class: 'sample-image' });
  private readonly facts = h('div', { class: 'stats' });
  private readonly tLabel = h('span', { class: 'tvalue', 'data-testid': 'temperature' });
  private readonly slider = h('input', { type: 'range', min: T_MIN, max: T_MAX, step: 0.1, 'aria-label': 'Temperature T' });
  private readonly canvas = h('canvas', { 'aria-label': 'Softened class probabilities of teacher and student' });
  private chart?: BarChart;
  private logits?: LogitsFile;
  private palette?: Palette;
  private stripFor?: LogitsFile;

  constructor(
    private ui: Ui,
    private readonly onUi: (ui: Ui) => void,
  ) {
    this.slider.value = String(ui.temperature ?? 4);
    this.slider.addEventListener('input', () => {
      this.ui = { ...this.ui, temperature: Number(this.slider.value) };
      this.onUi(this.ui);
      this.renderSample();
    });
    this.root.append(
      h(
        'div',
        { class: 'toolbar' },
        h('label', null, 'Temperature T ', this.slider, ' ', this.tLabel),
        h('span', { class: 'muted small' }, 'softmax(z / T) of the stored logits; T = 1 is what the models predict, higher T shows the dark knowledge'),
      ),
      h(
        'div',
        { class: 'dk-main' },
        h('section', { class: 'card dk-sample' }, this.image, this.facts),
        h('section', { class: 'card dk-chart' }, h('div', { class: 'chart' }, this.canvas)),
      ),
      h('section', { class: 'card' }, h('h3', null, 'Samples (click one; ≠ marks teacher–student disagreement)'), this.picker),
    );
  }

  update(logits: LogitsFile | undefined, palette: Palette): void {
    this.logits = logits;
    this.palette = palette;
    if (!logits || !logits.teacher.length) {
      replace(
        this.image,
        h(
          'p',
          { class: 'muted' },
          'logits.json appears in the run folder when the run ends; it holds the teacher’s and student’s logits for the first test samples.',
        ),
      );
      this.facts.replaceChildren();
      this.picker.replaceChildren();
      return;
    }
    if (this.stripFor !== logits) this.renderStrip();
    this.renderSample();
  }

  private current(): number {
    const n = this.logits?.teacher.length ?? 0;
    return Math.min(Math.max(0, this.ui.sample ?? 0), Math.max(0, n - 1));
  }

  private renderStrip(): void {
    const logits = this.logits!;
    this.stripFor = logits;
    this.picker.replaceChildren();
    logits.teacher.forEach((t, i) => {
      const disagree = argmax(t) !== argmax(logits.student[i] ?? []);
      const btn = h(
        'button',
        {
          class: `sample-btn ${disagree ? 'disagree' : ''}`,
          role: 'option',
          'data-position': i,
          title: `sample ${i}: label ${logits.labels[i]}, teacher ${argmax(t)}, student ${argmax(logits.student[i] ?? [])}`,
        },
        thumbnail(logits, i, 28) ?? String(i),
        disagree ? h('span', { class: 'mark' }, '≠') : null,
      );
      btn.addEventListener('click', () => {
        this.ui = { ...this.ui, sample: i };
        this.onUi(this.ui);
        this.renderSample();
      });
      this.picker.append(btn);
    });
  }

  private renderSample(): void {
    const logits = this.logits;
    if (!logits || !this.palette) return;
    const i = this.current();
    const T = Math.min(T_MAX, Math.max(T_MIN, this.ui.temperature ?? 4));
    text(this.tLabel, T.toFixed(1));
    for (const b of this.picker.children) b.classList.toggle('selected', Number((b as HTMLElement).dataset.position) === i);
    const zt = logits.teacher[i];
    const zs = logits.student[i] ?? [];
    const pt = softmaxT(zt, T);
    const ps = softmaxT(zs, T);
    const names = logits.classNames ?? zt.map((_, k) => String(k));
    const img = thumbnail(logits, i, 168);
    replace(
      this.image,
      img ?? h('p', { class: 'muted' }, 'No pixels stored for this sample.'),
      h('p', null, `sample ${i} · true class ${names[logits.labels[i]] ?? logits.labels[i]}`),
    );
    replace(
      this.facts,
      fact('teacher predicts', `${names[argmax(zt)]} (${fmtPct(softmaxT(zt, 1)[argmax(zt)], 1)})`),
      fact('student predicts', zs.length ? `${names[argmax(zs)]} (${fmtPct(softmaxT(zs, 1)[argmax(zs)], 1)})` : '—'),
      fact(`entropy at T=${T.toFixed(1)} (teacher / student)`, `${fmtNum(entropy(pt), 3)} / ${fmtNum(entropy(ps), 3)} nats`),
      fact('KL(teacher ‖ student) · T²', fmtNum(klDivergence(pt, ps) * T * T, 4)),
    );
    this.chart ??= new BarChart(this.canvas, { xTitle: 'class', yTitle: `p(class) at T = ${T.toFixed(1)}` }, this.palette);
    (this.chart.chart.options.scales!.y as { title: { text: string } }).title.text = `probability at T = ${T.toFixed(1)}`;
    this.chart.setBars(names, [
      { label: 'teacher', values: pt, color: this.palette.teacher },
      { label: 'student', values: ps, color: this.palette.student },
    ]);
  }
}

function fact(label: string, value: string): HTMLElement {
  return h('div', { class: 'stat' }, h('div', { class: 'value' }, value), h('div', { class: 'label' }, label));
}
