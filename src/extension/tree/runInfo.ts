/**
 * What the Runs view shows for a run: the words, icons and refusals for a run folder as the
 * protocol reader reads it (protocol/runReader.ts) with its status by the one rule
 * (protocol/runStatus.ts). Pure: no vscode, so it is unit-tested. The tree (runsTree.ts) only
 * maps these records onto TreeItems.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunStatus, RunSummary } from '../../protocol/events';
import type { ParamValue } from '../../protocol/experiments';
import type { RunFolder, RunProgress } from '../../protocol/runReader';
import { gitText, type GitState } from '../../protocol/runMeta';
import { epochText } from '../../protocol/runProgress';
import { baselineName, intervalPoints, pct, shortVerdict, signedPoints, verdict } from '../../protocol/format';
import { runFolderProblem } from '../../protocol/knownFolders';
import { runStatusOf, systemProbe, type EngineProbe, type LauncherState } from '../../protocol/runStatus';
import type { SeedComparison } from '../../protocol/stats/seeds';
import { ONE_SEED_NO_VERDICT, seedsVerdictLine } from '../../protocol/sweepBest';
import { trialCounts } from '../../protocol/sweepCounts';

export interface RunRecord {
  runId: string;
  runDir: string;
  /** The kd.json the run came from (the folder sits in `<dir>/.distillery/runs/`). */
  configPath?: string;
  name: string;
  status: RunStatus;
  /** The tfjs backend it ran on (summary, else run_started). */
  backend?: string;
  progress?: RunProgress;
  summary?: RunSummary;
  /** ISO time the run started (summary, run_started, or the id's stamp). */
  startedAt?: string;
  error?: string;
  /** Why summary.json could not be read (torn or foreign), naming the file. */
  problem?: string;
  /** The kd.json's name for the run (`name` is the one a person gave it, when they did). */
  kdName?: string;
  /** meta.json's tags and note (its name is `name`). */
  tags?: string[];
  note?: string;
  /** Why meta.json could not be read, naming the file. */
  metaProblem?: string;
  /** config.json's settings (for the automatic label) and the workspace's git state at the start. */
  params?: Record<string, ParamValue>;
  git?: GitState;
  /** What differs from the sibling runs, and the short id ("T4 α0.7 · #68c7"; protocol/runLabels.ts), once the siblings are known. */
  autoLabel?: string;
}

/** `YYYYMMDD-HHMMSS-…` → ISO time (local), or undefined. */
export function timeFromRunId(runId: string): string | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})/.exec(runId);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number);
  return new Date(y, mo - 1, d, h, mi, s).toISOString();
}

/** A run folder as the Runs view shows it; its status by the one rule (protocol/runStatus.ts runStatusOf). */
export function deriveRunRecord(
  folder: RunFolder,
  launcher: LauncherState | undefined,
  nowMs: number,
  configPath?: string,
  probe: EngineProbe = systemProbe,
): RunRecord {
  const { started, finished } = folder.events;
  const summary = folder.summary ?? finished?.summary;
  const { status } = runStatusOf({ ...folder, summary }, { launcher, now: nowMs, probe });
  const kdName = summary?.name ?? started?.name ?? folder.runId;
  return {
    runId: folder.runId,
    runDir: folder.runDir,
    configPath: configPath ?? summary?.configPath ?? started?.configPath,
    name: folder.meta?.name ?? kdName,
    kdName,
    tags: folder.meta?.tags,
    note: folder.meta?.note,
    metaProblem: folder.metaProblem,
    params: folder.config?.params,
    git: folder.config?.git,
    status,
    backend: summary?.backend ?? started?.backend,
    progress: status === 'running' ? folder.events.progress : undefined,
    summary,
    startedAt: summary?.startedAt ?? started?.time ?? timeFromRunId(folder.runId),
    error: summary?.error ?? finished?.error,
    problem: folder.summaryProblem,
  };
}

/** "3 min ago", "2 h ago", "yesterday", or a date. */
export function relativeTime(iso: string | undefined, nowMs: number): string {
  if (!iso) return '';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  const s = Math.max(0, Math.round((nowMs - t) / 1000));
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  if (s < 2 * 86_400) return 'yesterday';
  return new Date(t).toISOString().slice(0, 10);
}

/** The key result in a few characters: distilled vs baseline accuracy (baselineName), the gain, its interval and the verdict. */
export function keyResult(r: RunRecord): string | undefined {
  return r.summary ? shortVerdict(r.summary) : undefined;
}

export function progressText(p: RunProgress | undefined): string {
  if (!p) return 'starting';
  return `${p.stage} ${epochText(p)} · ${p.percent.toFixed(0)}%`;
}

/** ThemeIcon id and ThemeColor id per status. */
export const STATUS_ICONS: Record<RunStatus, { icon: string; color?: string }> = {
  queued: { icon: 'clock' },
  running: { icon: 'sync~spin', color: 'charts.blue' },
  done: { icon: 'pass', color: 'testing.iconPassed' },
  failed: { icon: 'error', color: 'testing.iconFailed' },
  stopped: { icon: 'debug-stop', color: 'charts.yellow' },
  crashed: { icon: 'warning', color: 'problemsWarningIcon.foreground' },
  'not-responding': { icon: 'debug-pause', color: 'charts.yellow' },
};

export interface RunItemModel {
  label: string;
  description: string;
  tooltip: string;
  icon: string;
  color?: string;
  /** `run.<status>`: menus show Stop only on running/queued, Delete only on the rest. */
  contextValue: string;
}

export function runItemModel(r: RunRecord, nowMs: number): RunItemModel {
  const when = relativeTime(r.startedAt, nowMs);
  let detail: string;
  if (r.status === 'running') detail = progressText(r.progress);
  else if (r.status === 'done') detail = keyResult(r) ?? 'done';
  else if (r.status === 'failed') detail = `failed${r.error ? `: ${r.error}` : ''}`;
  else if (r.status === 'not-responding') detail = 'not responding';
  else detail = r.status;
  // A torn or foreign summary.json: the row says so, the tooltip names the file.
  if (r.problem && !r.summary) detail = `${detail} · unreadable summary`;
  const tags = r.tags?.length ? r.tags.map((t) => `#${t}`).join(' ') : '';
  const tooltip = [
    `${r.name} — ${r.status}`,
    r.kdName && r.kdName !== r.name ? `kd.json name: ${r.kdName}` : '',
    r.autoLabel ? `differs from its siblings: ${r.autoLabel}` : '',
    tags ? `tags: ${tags}` : '',
    r.note ? `note: ${r.note}` : '',
    r.git ? `git: ${gitText(r.git)}` : '',
    r.metaProblem ?? '',
    `run ${r.runId}`,
    r.startedAt ? `started ${new Date(r.startedAt).toLocaleString()}` : '',
    r.status === 'running' ? progressText(r.progress) : '',
    r.status === 'done' && r.summary?.student ? verdict(r.summary) : '',
    r.error ? `error: ${r.error}` : '',
    r.problem ?? '',
    r.status === 'crashed' ? 'The engine stopped writing events without a summary (killed, or the window closed).' : '',
    r.status === 'not-responding'
      ? 'The engine process is still there but has stopped writing its heartbeat (stopped with SIGSTOP, swapped out, or hung).'
      : '',
  ].filter(Boolean);
  const { icon, color } = STATUS_ICONS[r.status];
  return {
    label: r.name,
    description: [r.autoLabel, tags, detail, when].filter(Boolean).join(' · '),
    tooltip: tooltip.join('\n'),
    icon,
    color,
    contextValue: `run.${r.status}`,
  };
}

/** The status-bar text for the active runs (pure, for the unit test). */
export function statusText(active: { name: string; state: string; progress?: RunProgress }[]): string | undefined {
  const running = active.filter((r) => r.state === 'running');
  const queued = active.length - running.length;
  if (!active.length) return undefined;
  const head = running[0];
  const more = [running.length > 1 ? `+${running.length - 1} running` : '', queued ? `${queued} queued` : ''].filter(Boolean).join(', ');
  const main = head ? `$(sync~spin) ${head.name}: ${progressText(head.progress)}` : '$(clock) Distill';
  return more ? `${main} (${more})` : main;
}

/**
 * Why a run may not be deleted now, or undefined. Only a run folder (protocol/knownFolders.ts)
 * is ever deleted: a record's runDir can come from a sweep.json, which names any path.
 */
export function deleteRefusal(r: Pick<RunRecord, 'status' | 'name' | 'runDir'>, workspaceRoots?: readonly string[]): string | undefined {
  if (r.status === 'running' || r.status === 'queued') return `"${r.name}" is ${r.status}; stop it before deleting its run folder.`;
  if (r.status === 'not-responding') return `"${r.name}" has an engine process that is not responding; end it before deleting its run folder.`;
  const problem = runFolderProblem(r.runDir, workspaceRoots);
  if (problem) return `Not deleted: ${problem}.`;
  return undefined;
}

/** Why the student folder `from` may not be exported to `dest`, or undefined. Nothing there is ever overwritten. */
export function exportRefusal(from: string, dest: string): string | undefined {
  const inside = (a: string, b: string) => {
    const rel = path.relative(path.resolve(a), path.resolve(b));
    return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
  };
  if (inside(from, dest) || inside(dest, from)) return `${dest} overlaps the run's student folder ${from}; choose a folder outside the run.`;
  let st: fs.Stats | undefined;
  try {
    st = fs.lstatSync(dest);
  } catch {
    return undefined;
  }
  if (!st.isDirectory()) return `${dest} exists and is not a folder; choose a new folder.`;
  if (fs.readdirSync(dest).length) return `${dest} exists and is not empty; choose a new folder.`;
  return undefined;
}

/** A trial's label: its swept values and seed ("temperature=4 · seed 42"), or the baseline; `start`: sweep.json baselineStart. */
export function trialLabel(t: { kind: 'distill' | 'baseline'; params: Record<string, number>; seed: number }, start: 'scratch' | 'file' | undefined): string {
  const values = Object.entries(t.params).map(([k, v]) => `${k.split('.').at(-1)}=${v}`);
  return `${t.kind === 'baseline' ? `baseline (${baselineName(start, 'short')})` : values.join(', ') || 'trial'} · seed ${t.seed}`;
}

/** A sweep's line: status, trial count, the best setting (or a seeded run's verdict across seeds), when. */
export function sweepItemModel(
  s: {
    name: string;
    status: 'running' | 'done' | 'failed' | 'stopped';
    startedAt: string;
    trials: { status: string; kind?: string }[];
    bestSetting?: { params: Record<string, number>; mean: number; warnings?: string[] };
    params?: { path: string }[];
    aggregates?: { vsBaseline?: SeedComparison }[];
    baselineStart?: 'scratch' | 'file';
  },
  nowMs: number,
): Omit<RunItemModel, 'contextValue'> & { contextValue: string } {
  // Finished of all, baselines included: the CLI's count, the view's and the notification's (sweepCounts.ts).
  const done = trialCounts(s.trials).finished;
  if (s.params && !s.params.length) return seededItemModel({ ...s, params: s.params }, done, nowMs);
  const best = s.bestSetting
    ? `best ${Object.entries(s.bestSetting.params)
        .map(([k, v]) => `${k.split('.').at(-1)}=${v}`)
        .join(', ')} (${pct(s.bestSetting.mean)})${s.bestSetting.warnings?.length ? ' ⚠' : ''}`
    : '';
  const detail = [
    s.status === 'running' ? `running ${done}/${s.trials.length} trials` : `${s.status} · ${s.trials.length} trials`,
    best,
    relativeTime(s.startedAt, nowMs),
  ]
    .filter(Boolean)
    .join(' · ');
  const { icon, color } = STATUS_ICONS[s.status];
  const doubts = s.bestSetting?.warnings?.length ? `\n${s.bestSetting.warnings.map((w) => `⚠ ${w}`).join('\n')}` : '';
  return {
    label: `${s.name} (sweep)`,
    description: detail,
    tooltip: `${s.name}: sweep of ${s.params?.map((p) => p.path.split('.').at(-1)).join(' × ') || 'its settings'}, ${s.status}\n${detail}${doubts}`,
    icon,
    color,
    contextValue: `sweep.${s.status}`,
  };
}

/** A seeded run's line: its verdict across seeds with the interval. */
function seededItemModel(
  s: Parameters<typeof sweepItemModel>[0] & { params: unknown[] },
  done: number,
  nowMs: number,
): Omit<RunItemModel, 'contextValue'> & { contextValue: string } {
  const c = s.aggregates?.[0]?.vsBaseline;
  const verdict = c?.n
    ? `${c.verdict ?? ONE_SEED_NO_VERDICT}: ${signedPoints(c.meanDiff)}${c.interval95 ? `, 95 % CI ${intervalPoints(c.interval95, 2)}` : ''}`
    : '';
  const detail = [
    s.status === 'running' ? `running ${done}/${s.trials.length} trials` : `${s.status} · ${s.trials.length / 2} seeds`,
    verdict,
    relativeTime(s.startedAt, nowMs),
  ]
    .filter(Boolean)
    .join(' · ');
  const { icon, color } = STATUS_ICONS[s.status];
  return {
    label: `${s.name} (seeds)`,
    description: detail,
    tooltip: `${s.name}: distilled vs ${baselineName(s.baselineStart, 'from')} over seeds, ${s.status}\n${seedsVerdictLine(c, s.baselineStart)}`,
    icon,
    color,
    contextValue: `sweep.${s.status}`,
  };
}
