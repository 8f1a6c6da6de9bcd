/**
 * The edits the editor offers for a kd.json diagnostic. Pure: no vscode (codeActions.ts turns
 * them into code actions). The guide's advice has its own fix (α = 1 → 0.7, T outside 1–10 →
 * 4); a number the schema refuses as out of range is moved inside the bound it broke.
 */
import { formatPath, type NumericBound } from '../../protocol/loadConfig';
import { CODES, type KdDiagnostic } from './diagnostics';

export interface QuickFix {
  title: string;
  /** Replaces the diagnostic's range (the value). */
  newText: string;
}

/**
 * The valid value nearest to one beyond `bound`: the bound itself when it is allowed (α 1.5 → 1,
 * −0.2 → 0); past an exclusive bound there is no nearest, so one step of 1 inside (T > 0 → 1).
 */
export function valueInside(bound: NumericBound): number {
  if (bound.inclusive) return bound.value;
  return bound.side === 'min' ? bound.value + 1 : bound.value - 1;
}

function rangeText(bound: NumericBound): string {
  const op = bound.side === 'max' ? (bound.inclusive ? '≤' : '<') : bound.inclusive ? '≥' : '>';
  return `${op} ${bound.value}`;
}

/** The fixes for `d`, whose range holds `valueText` in the document. */
export function quickFixesFor(d: Pick<KdDiagnostic, 'code' | 'path' | 'bound'>, valueText: string): QuickFix[] {
  if (d.code === CODES.alphaOne) return [{ title: 'Set α to 0.7 (keep 30% weight on the labels)', newText: '0.7' }];
  if (d.code === CODES.temperature) return [{ title: 'Set T to 4', newText: '4' }];
  if (d.code === CODES.schema && d.bound && Number.isFinite(Number(valueText.trim())) && valueText.trim() !== '') {
    const to = valueInside(d.bound);
    return [{ title: `Set ${formatPath(d.path)} to ${to} (it must be ${rangeText(d.bound)})`, newText: String(to) }];
  }
  return [];
}
