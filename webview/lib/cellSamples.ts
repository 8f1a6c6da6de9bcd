/**
 * The samples behind one confusion cell, joined with what logits.json stored about them
 * (thumbnail, top classes): pure, so the popover only draws what this returns.
 */
import type { ClassProbability, InspectedSamples, PredictionsFile } from '../../src/protocol/webviewMessages';
import { samplesInCell, samplesInDiffCell } from './confusion';

export type CellRef = { model: 'teacher' | 'student' | 'diff'; actual: number; predicted: number };

export interface CellSample {
  /** Position in predictions.json's arrays; `index` in the data set. */
  position: number;
  index: number;
  label: number;
  teacher: number;
  /** The compared student's prediction (the distilled one or the baseline). */
  student: number;
  disagree: boolean;
  /** Where logits.json's `samples` holds it, or -1 (not stored: right for every model, or past the cap). */
  stored: number;
  top?: { teacher: ClassProbability[]; student: ClassProbability[] };
  /** For the difference matrix: which model put it in this cell. */
  note?: string;
}

const storedIndex = new WeakMap<InspectedSamples, Map<number, number>>();

/** Position → index into `samples`' arrays, built once per logits.json. */
function storedAt(samples: InspectedSamples | undefined, position: number): number {
  if (!samples) return -1;
  let m = storedIndex.get(samples);
  if (!m) {
    m = new Map(samples.positions.map((p, k) => [p, k]));
    storedIndex.set(samples, m);
  }
  return m.get(position) ?? -1;
}

/** Every test sample of a cell, in test order, with its stored thumbnail and top classes where logits.json has them. */
export function cellSamples(p: PredictionsFile, samples: InspectedSamples | undefined, cell: CellRef, studentKey: 'student' | 'baseline'): CellSample[] {
  const found =
    cell.model === 'diff'
      ? samplesInDiffCell(p, studentKey, cell.actual, cell.predicted).map((x) => ({ ...x, note: x.student ? 'only the student' : 'only the teacher' }))
      : samplesInCell(p, cell.model === 'teacher' ? 'teacher' : studentKey, cell.actual, cell.predicted).map((x) => ({ ...x, note: undefined }));
  const studentPreds = p[studentKey] ?? [];
  const studentTop = studentKey === 'baseline' ? samples?.top.baseline : samples?.top.student;
  return found.map(({ position, index, note }) => {
    const stored = storedAt(samples, position);
    const teacher = p.teacher[position];
    const student = studentPreds[position];
    const top = stored >= 0 && studentTop ? { teacher: samples!.top.teacher[stored], student: studentTop[stored] } : undefined;
    return {
      position,
      index,
      label: p.labels[position],
      teacher,
      student,
      disagree: teacher !== student,
      stored,
      ...(top ? { top } : {}),
      ...(note ? { note } : {}),
    };
  });
}

export const disagreementsOnly = (items: readonly CellSample[]) => items.filter((s) => s.disagree);

/** The integer upscale that brings a thumbnail's longer side nearest `target` px without passing it (≥ 1: never shrunk, never blurred). */
export function thumbnailScale(height: number, width: number, target = 64): number {
  const side = Math.max(1, height, width);
  return Math.max(1, Math.floor(target / side));
}

/** What the popover says about samples it cannot draw: not stored because right for every model, or past logits.json's cap. */
export function unstoredNote(items: readonly CellSample[], samples: InspectedSamples | undefined): string | undefined {
  const missing = items.filter((s) => s.stored < 0).length;
  if (!missing) return undefined;
  if (!samples) return `${missing} without thumbnails: this run's logits.json predates stored samples (run it again to see them).`;
  const wrong = items.filter((s) => s.stored < 0 && (s.teacher !== s.label || s.student !== s.label || s.disagree)).length;
  const right = missing - wrong;
  const parts = [
    right ? `${right} right for both models and agreed on (not stored)` : '',
    wrong ? `${wrong} left out by logits.json's cap of ${samples.cap} samples (${samples.omitted} of ${samples.total} left out in all)` : '',
  ].filter(Boolean);
  return `${parts.join('; ')}.`;
}
