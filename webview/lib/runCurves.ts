/**
 * The dashboard's chart lines, from a run's series: pure (no chart.js, no DOM), so the rules a
 * person reads the charts by are unit-tested:
 * - steps are offset per stage (teacher, then each assistant, the distilled student, the
 *   baseline), so the stages lie one after another on one step axis instead of on top of each other;
 * - every line of a chart has its own colour while the palette lasts (a stage's total in the
 *   stage's colour, its terms in colours no other line has), past that a colour repeats with a dash;
 * - a term equal to its stage's total (the teacher and the baseline train with CE only) is not
 *   drawn twice: the total says "= ce";
 * - the loss may be smoothed (EMA, debiased as TensorBoard does);
 * - "distilled − scratch": the gap in validation accuracy at each epoch both stages reached.
 */
import { baselineName, studentName } from '../../src/protocol/format';
import { stageOfKey, teacherAccuracy, type RunSeries, type Series, type StageKey } from '../../src/protocol/runSeries';
import type { LineSpec } from './charts';
import { withAlpha, type Palette } from './theme';

const STAGE_LABEL: Record<string, string> = { teacher: 'teacher', assistant: 'teacher assistant' };
const STAGE_DASH: Record<string, number[] | undefined> = { distill: undefined, baseline: [6, 4], teacher: [2, 3], assistant: [3, 2] };
/** Dashes for a colour's second, third… use once the palette has run out. */
const REPEAT_DASH = [
  [8, 3, 2, 3],
  [1, 3],
  [10, 5],
];

/**
 * `assistant:2` (one link of a progressive chain) reads "teacher assistant 2"; the baseline is
 * named by its start (baselineName): known from the summary, or from run_started.
 */
export function stageLabel(key: StageKey, s: RunSeries): string {
  const [stage, link] = key.split(':');
  const name = stage === 'baseline' ? baselineName(s.summary ?? s.baselineStart) : stage === 'distill' ? studentName(s.summary) : (STAGE_LABEL[stage] ?? stage);
  return `${name}${link ? ` ${link}` : ''}`;
}

/** Each stage's own colour: teacher, student and baseline from the palette; each chain link one of the rest. */
export function stageColor(key: StageKey, p: Palette): string {
  const stage = stageOfKey(key);
  if (stage === 'teacher') return p.teacher;
  if (stage === 'baseline') return p.baseline;
  if (stage === 'distill') return p.student;
  const rest = p.series.filter((c) => c !== p.teacher && c !== p.baseline && c !== p.student);
  const link = Number(key.split(':')[1] ?? 1);
  return rest[(Math.max(1, link) - 1) % Math.max(1, rest.length)] ?? p.student;
}

/** The step each stage starts after: the sum of the planned steps of the stages before it. */
export function stageOffsets(s: RunSeries): Map<StageKey, number> {
  const offsets = new Map<StageKey, number>();
  let at = 0;
  for (const key of s.stageOrder) {
    offsets.set(key, at);
    const st = s.stages[key];
    at += Math.max(st?.totalSteps ?? 0, st?.step ?? 0);
  }
  return offsets;
}

/** Where each stage begins on the offset step axis, for the boundary marks (the first stage needs none). */
export function stageMarks(s: RunSeries): { x: number; label: string }[] {
  const offsets = stageOffsets(s);
  return s.stageOrder.filter((k) => (offsets.get(k) ?? 0) > 0).map((k) => ({ x: offsets.get(k)!, label: stageLabel(k, s) }));
}

/** Hands out colours: each once while they last, then again with a dash. */
class ColorPicker {
  private readonly uses = new Map<string, number>();
  constructor(private readonly palette: string[]) {}
  take(preferred?: string): { color: string; dash?: number[] } {
    const color = preferred && !this.uses.has(preferred) ? preferred : (this.palette.find((c) => !this.uses.has(c)) ?? this.leastUsed());
    const n = this.uses.get(color) ?? 0;
    this.uses.set(color, n + 1);
    return { color, dash: n ? REPEAT_DASH[(n - 1) % REPEAT_DASH.length] : undefined };
  }
  private leastUsed(): string {
    return [...this.palette].sort((a, b) => (this.uses.get(a) ?? 0) - (this.uses.get(b) ?? 0))[0];
  }
}

/** Whether two series are the same line (a term that is the whole loss). */
export function sameLine(a: Series, b: Series): boolean {
  if (a.y.length !== b.y.length) return false;
  for (let i = 0; i < a.y.length; i++) if (a.x[i] !== b.x[i] || Math.abs(a.y[i] - b.y[i]) > 1e-6 * Math.max(1, Math.abs(a.y[i]))) return false;
  return true;
}

/** Exponential moving average, debiased at the start (weight 0: the values themselves). */
export function ema(ys: ArrayLike<number>, weight: number): number[] {
  const out = new Array<number>(ys.length);
  let acc = 0;
  let norm = 0;
  for (let i = 0; i < ys.length; i++) {
    acc = weight * acc + (1 - weight) * ys[i];
    norm = weight * norm + (1 - weight);
    out[i] = acc / norm;
  }
  return out;
}

const shifted = (xs: number[], by: number) => (by ? xs.map((x) => x + by) : xs);

/** The loss terms of every stage on one offset step axis; `smoothing`: the EMA weight (0: raw). */
export function lossLines(s: RunSeries, p: Palette, smoothing = 0): LineSpec[] {
  const offsets = stageOffsets(s);
  const byStage = new Map<StageKey, { term: string; series: Series }[]>();
  for (const [key, series] of Object.entries(s.loss)) {
    const [stageKey, term] = key.split('/') as [string, string];
    if (!byStage.has(stageKey)) byStage.set(stageKey, []);
    byStage.get(stageKey)!.push({ term, series });
  }
  // Stage colours are taken first, so no term takes the colour of another stage's total.
  const picker = new ColorPicker(p.series);
  const own = new Map([...byStage.keys()].map((k) => [k, picker.take(stageColor(k, p))]));
  const lines: LineSpec[] = [];
  for (const [stageKey, terms] of byStage) {
    const total = terms.find((t) => t.term === 'total');
    const duplicates = new Set(terms.filter((t) => t.term !== 'total' && total && sameLine(t.series, total.series)).map((t) => t.term));
    for (const { term, series } of terms) {
      if (duplicates.has(term)) continue;
      const isTotal = term === 'total';
      const { color, dash } = isTotal ? own.get(stageKey)! : picker.take();
      const shown = isTotal && duplicates.size ? `total = ${[...duplicates].join(' = ')}` : term;
      lines.push({
        label: `${stageLabel(stageKey, s)}: ${shown}`,
        xs: shifted(series.x, offsets.get(stageKey) ?? 0),
        ys: smoothing > 0 ? ema(series.y, smoothing) : series.y,
        color,
        dash: dash ?? STAGE_DASH[stageOfKey(stageKey)],
        width: isTotal ? 2 : 1.5,
      });
    }
  }
  return lines;
}

/** The learning rate of every stage, on the same offset step axis as the loss. */
export function lrLines(s: RunSeries, p: Palette): LineSpec[] {
  const offsets = stageOffsets(s);
  return Object.entries(s.lr).map(([key, l]) => ({
    label: stageLabel(key, s),
    xs: shifted(l!.x, offsets.get(key) ?? 0),
    ys: l!.y,
    color: stageColor(key, p),
    dash: STAGE_DASH[stageOfKey(key)],
  }));
}

/** Validation (solid) and train (dashed, paler) accuracy per epoch of each student stage, and the teacher as a level line. */
export function accuracyLines(s: RunSeries, p: Palette): LineSpec[] {
  const lines: LineSpec[] = [];
  const add = (key: StageKey, who: string) => {
    const e = s.epochs[key];
    if (!e?.epoch.length) return;
    const color = stageColor(key, p);
    lines.push({ label: `${who}: validation`, xs: e.epoch, ys: e.val, color, points: true });
    lines.push({ label: `${who}: train`, xs: e.epoch, ys: e.train, color: withAlpha(color, 0.6), dash: [4, 3], points: true, width: 1.5 });
  };
  add('distill', studentName(s.summary, 'short'));
  add('baseline', baselineName(s.summary ?? s.baselineStart, 'from'));
  for (const key of s.stageOrder) if (stageOfKey(key) === 'assistant') add(key, stageLabel(key, s));
  const t = teacherAccuracy(s);
  const maxEpoch = Math.max(1, ...Object.values(s.epochs).map((e) => e?.epoch.at(-1) ?? 0), ...Object.values(s.stages).map((st) => st?.epochs ?? 0));
  if (t) lines.push({ label: `teacher (${t.source})`, xs: [1, maxEpoch], ys: [t.value, t.value], color: p.teacher, dash: [8, 4] });
  return lines;
}

/** Distilled minus baseline validation accuracy at every epoch both have (a fraction: +0.016 is +1.6 points). */
export function gainCurve(s: RunSeries): Series | undefined {
  const d = s.epochs.distill;
  const b = s.epochs.baseline;
  if (!d || !b) return undefined;
  const base = new Map(b.epoch.map((e, i) => [e, b.val[i]]));
  const out: Series = { x: [], y: [] };
  d.epoch.forEach((e, i) => {
    const v = base.get(e);
    if (v !== undefined && Number.isFinite(v) && Number.isFinite(d.val[i])) {
      out.x.push(e);
      out.y.push(d.val[i] - v);
    }
  });
  return out.x.length ? out : undefined;
}

/** The gain curve as chart lines: the gap per epoch, and a zero line to read it against. */
export function gainLines(s: RunSeries, p: Palette): LineSpec[] {
  const g = gainCurve(s);
  if (!g) return [];
  const last = g.x[g.x.length - 1];
  return [
    { label: `distilled − ${baselineName(s.summary ?? s.baselineStart, 'short')}`, xs: g.x, ys: g.y, color: p.student, points: true },
    { label: 'no difference', xs: [g.x[0], Math.max(last, g.x[0] + 1)], ys: [0, 0], color: p.muted, dash: [2, 2], width: 1, hideInLegend: true },
  ];
}
