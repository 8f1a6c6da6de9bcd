/**
 * The edits the editor offers for a kd.json diagnostic. Pure: no vscode (codeActions.ts turns
 * them into code actions). The guide's advice has its own fix (α = 1 → 0.7, T outside 1–10 →
 * 4); a number the schema refuses as out of range is clamped to the inclusive bound it broke, or
 * set to the schema's default past an exclusive one.
 */
import { formatPath, type NumericBound } from '../../protocol/loadConfig';
import { schemaDefaultAt } from '../../protocol/schemaDefaults';
import { CODES, type KdDiagnostic } from './diagnostics';

export interface QuickFix {
  title: string;
  /** Replaces the diagnostic's range (the value). */
  newText: string;
  /** The one obvious fix (a clamp to an inclusive bound, the guide's advice), offered first with the quick-fix key. */
  preferred: boolean;
}

/**
 * The value a fix sets for a number beyond `bound`: the bound itself when it is allowed (α 1.5 → 1,
 * −0.2 → 0, the nearest valid value); past an exclusive bound there is no nearest one, so the
 * schema's own default when it lies inside (T ≤ 0 → 4, a learning rate ≤ 0 → 0.001), else none.
 */
export function valueInside(bound: NumericBound, schemaDefault: unknown): number | undefined {
  if (bound.inclusive) return bound.value;
  if (typeof schemaDefault !== 'number') return undefined;
  return (bound.side === 'min' ? schemaDefault > bound.value : schemaDefault < bound.value) ? schemaDefault : undefined;
}

function rangeText(bound: NumericBound): string {
  const op = bound.side === 'max' ? (bound.inclusive ? '≤' : '<') : bound.inclusive ? '≥' : '>';
  return `${op} ${bound.value}`;
}

/** The fixes for `d`, whose range holds `valueText` in the document. */
export function quickFixesFor(d: Pick<KdDiagnostic, 'code' | 'path' | 'bound'>, valueText: string): QuickFix[] {
  if (d.code === CODES.alphaOne) return [{ title: 'Set α to 0.7 (keep 30% weight on the labels)', newText: '0.7', preferred: true }];
  if (d.code === CODES.temperature) return [{ title: 'Set T to 4', newText: '4', preferred: true }];
  if (d.code === CODES.schema && d.bound && Number.isFinite(Number(valueText.trim())) && valueText.trim() !== '') {
    const to = valueInside(d.bound, schemaDefaultAt(d.path));
    if (to === undefined) return [];
    const why = d.bound.inclusive ? `it must be ${rangeText(d.bound)}` : `the default; it must be ${rangeText(d.bound)}`;
    return [{ title: `Set ${formatPath(d.path)} to ${to} (${why})`, newText: String(to), preferred: d.bound.inclusive }];
  }
  return [];
}
