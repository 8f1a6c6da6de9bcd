/**
 * What differs between runs, decided once for every view: the settings whose value is not the
 * same in every row (the experiments table's automatic columns, webview/lib/experimentsTable.ts)
 * and, from the same rule, a run's automatic label among its siblings ("T4 α0.7 · #68c7"), shown
 * by the Runs tree, the run picker, the experiments table and the dashboard header. Siblings are
 * the runs of one kd.json (in its runs folder), or the trials of one sweep (siblingKey).
 * Pure: no vscode, no tfjs, no fs, no node:path (the experiments webview bundles it too).
 */
import type { ParamValue } from './experiments';

/** Anything with settings by dotted path (config.json through configParams). */
export interface WithParams {
  params: Record<string, ParamValue>;
}

/** The settings a person looks for first, in this order; then the student's, distillation's and training's. */
const FIRST = ['distillation.temperature', 'distillation.alpha', 'distillation.beta', 'training.epochs', 'seed', 'student.architecture.preset'];
/** Settings known by a symbol: the label reads "T4", not "temperature=4". */
const SHORT: Record<string, string> = { 'distillation.temperature': 'T', 'distillation.alpha': 'α', 'distillation.beta': 'β' };
/** Settings named in a label at most; the rest are counted ("+2"). */
export const MAX_LABEL_PARAMS = 3;

function rank(p: string): number {
  const i = FIRST.indexOf(p);
  if (i >= 0) return i;
  return p.startsWith('student.') ? 10 : p.startsWith('distillation.') ? 11 : p.startsWith('training.') ? 12 : 20;
}

const byRank = (a: string, b: string) => rank(a) - rank(b) || a.localeCompare(b);

/** Every setting any row has, first ones first. */
export function allParams(rows: readonly WithParams[]): string[] {
  const keys = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r.params)) keys.add(k);
  return [...keys].sort(byRank);
}

/** The settings whose value is not the same in every row (a row without it counts as different), first ones first. */
export function differingParams(rows: readonly WithParams[]): string[] {
  if (rows.length < 2) return [];
  return allParams(rows).filter((k) => rows.some((r) => !(k in r.params) || r.params[k] !== rows[0].params[k]));
}

/** Header labels for settings: the last segment, more segments where two would read the same ("training.epochs", "teachers.0.training.epochs"). */
export function paramLabels(paths: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const tail = (p: string, n: number) => p.split('.').slice(-n).join('.');
  for (const p of paths) {
    if (SHORT[p]) {
      out.set(p, SHORT[p]);
      continue;
    }
    let n = 1;
    while (n < p.split('.').length && paths.some((q) => q !== p && tail(q, n) === tail(p, n))) n++;
    out.set(p, tail(p, n));
  }
  return out;
}

/**
 * A run's short id: the random hex its folder name ends with (`…-68c7a1` → "#68c7"), so the
 * label matches the folder on disk; a folder named otherwise gets 4 hex digits of a hash of its name.
 */
export function shortRunId(runId: string): string {
  const m = /-([0-9a-f]{4,})$/.exec(runId);
  if (m) return `#${m[1].slice(0, 4)}`;
  let h = 0x811c9dc5; // FNV-1a, 32 bits
  for (let i = 0; i < runId.length; i++) h = Math.imul(h ^ runId.charCodeAt(i), 0x01000193) >>> 0;
  // Murmur3's finaliser: names that differ in their last character ("…-s11", "…-s12") get unlike ids.
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  return `#${h.toString(16).padStart(8, '0').slice(0, 4)}`;
}

/** One setting in a label: "T4", "α0.7", "epochs=3", "hidden=[64,32]", "(no seed)" where the run lacks it. */
function settingText(p: string, label: string, v: ParamValue | undefined): string {
  if (v === undefined) return `(no ${label})`;
  const value = typeof v === 'number' ? String(Number(v.toPrecision(6))) : String(v);
  return SHORT[p] ? `${label}${value}` : `${label}=${value}`;
}

/** The label of `run` among `siblings` (itself included or not): the settings that differ, then its short id. */
export function autoLabel(run: WithParams & { runId: string }, siblings: readonly WithParams[]): string {
  const group = siblings.includes(run) ? siblings : [run, ...siblings];
  const differing = differingParams(group);
  const labels = paramLabels(differing);
  const named = differing.slice(0, MAX_LABEL_PARAMS).map((p) => settingText(p, labels.get(p)!, run.params[p]));
  if (differing.length > MAX_LABEL_PARAMS) named.push(`+${differing.length - MAX_LABEL_PARAMS}`);
  return [...(named.length ? [named.join(' ')] : []), shortRunId(run.runId)].join(' · ');
}

/** sweep.ts SWEEP_FILES.trials (not imported: this module is bundled into the webviews, sweep.ts reads files; a unit test holds them equal). */
export const TRIALS_FOLDER = 'trials';

/**
 * Which runs are siblings: a sweep's trials (its trials folder), or the runs of one kd.json (a
 * runs folder holds the runs of every kd.json beside it: kd.json's and long.kd.json's runs
 * differ in half their settings, which says nothing a name does not).
 */
export function siblingKey(runDir: string, configPath?: string): string {
  const trimmed = runDir.replace(/[\\/]+$/, '');
  const parent = trimmed.slice(0, Math.max(trimmed.lastIndexOf('/'), trimmed.lastIndexOf('\\')));
  const folderName = parent.slice(Math.max(parent.lastIndexOf('/'), parent.lastIndexOf('\\')) + 1);
  return folderName === TRIALS_FOLDER || configPath === undefined ? parent : `${parent}\0${configPath}`;
}

/** Every run's automatic label, siblings grouped by siblingKey: run id → label. */
export function autoLabels(runs: readonly (WithParams & { runId: string; runDir: string; configPath?: string })[]): Map<string, string> {
  const groups = new Map<string, (typeof runs)[number][]>();
  for (const r of runs) {
    const key = siblingKey(r.runDir, r.configPath);
    const g = groups.get(key);
    if (g) g.push(r);
    else groups.set(key, [r]);
  }
  const out = new Map<string, string>();
  for (const g of groups.values()) for (const r of g) out.set(r.runId, autoLabel(r, g));
  return out;
}
