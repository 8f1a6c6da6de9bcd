/** Confusion-matrix arithmetic for the teacher-vs-student view. confusion[true][predicted]. */
import type { PredictionsFile } from '../../src/protocol/webviewMessages';

export function rowNormalise(m: readonly number[][]): number[][] {
  return m.map((row) => {
    const sum = row.reduce((a, b) => a + b, 0);
    return row.map((v) => (sum ? v / sum : 0));
  });
}

/** a − b, cell by cell (student − teacher: positive off the diagonal = more confusion). */
export function difference(a: readonly number[][], b: readonly number[][]): number[][] {
  return a.map((row, i) => row.map((v, j) => v - (b[i]?.[j] ?? 0)));
}

/** Recall per true class: diagonal / row sum (NaN for a class with no test samples). */
export function perClassAccuracy(m: readonly number[][]): number[] {
  return m.map((row, i) => {
    const sum = row.reduce((a, b) => a + b, 0);
    return sum ? row[i] / sum : NaN;
  });
}

export function overallAccuracy(m: readonly number[][]): number {
  let right = 0;
  let all = 0;
  m.forEach((row, i) => row.forEach((v, j) => ((all += v), i === j && (right += v))));
  return all ? right / all : NaN;
}

/** Builds confusion[true][pred] from label and prediction lists. */
export function confusionFrom(labels: readonly number[], predicted: readonly number[], numClasses: number): number[][] {
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < labels.length; i++) {
    const t = labels[i];
    const p = predicted[i];
    if (t >= 0 && t < numClasses && p >= 0 && p < numClasses) m[t][p]++;
  }
  return m;
}

/** Fraction of samples where both models predict the same class. */
export function agreementRate(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  if (!n) return NaN;
  let same = 0;
  for (let i = 0; i < n; i++) if (a[i] === b[i]) same++;
  return same / n;
}

export type CellModel = 'teacher' | 'student' | 'baseline';

/** Positions (into predictions' arrays) and test indices of the samples in one cell. */
export function samplesInCell(p: PredictionsFile, model: CellModel, actual: number, predicted: number): { position: number; index: number }[] {
  const preds = p[model];
  if (!preds) return [];
  const out: { position: number; index: number }[] = [];
  for (let i = 0; i < p.labels.length; i++) if (p.labels[i] === actual && preds[i] === predicted) out.push({ position: i, index: p.indices[i] ?? i });
  return out;
}

/**
 * For the difference matrix: samples in (actual, predicted) for either model, with who put
 * them there, so a cell whose count changed lists what changed.
 */
export function samplesInDiffCell(p: PredictionsFile, student: 'student' | 'baseline', actual: number, predicted: number) {
  const s = p[student] ?? [];
  const out: { position: number; index: number; teacher: boolean; student: boolean }[] = [];
  for (let i = 0; i < p.labels.length; i++) {
    if (p.labels[i] !== actual) continue;
    const t = p.teacher[i] === predicted;
    const st = s[i] === predicted;
    if (t !== st) out.push({ position: i, index: p.indices[i] ?? i, teacher: t, student: st });
  }
  return out;
}
