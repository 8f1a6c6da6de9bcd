/**
 * What the Runs view shows for one run folder, derived from disk (events.jsonl, summary.json)
 * and from what this window's RunManager knows. Pure: no vscode, so every status rule is
 * unit-tested. The tree (runsTree.ts) only maps these records onto TreeItems.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunEvent, RunStatus, RunSummary, StageName } from '../../protocol/events';
import { FILES, parseEvents } from '../../protocol/runFolder';
import { pct, shortVerdict, verdict } from '../../protocol/format';
import { HEARTBEAT_STALE_MS, pidAlive, readHeartbeat, type Heartbeat } from '../../protocol/runStatus';

/** An engine that wrote events this recently is taken to be alive (until there is a heartbeat). */
export const LIVE_WINDOW_MS = 60_000;

/**
 * Whether a run folder without a summary belongs to a live engine that is not this window's
 * (a CLI run, another window): the engine's heartbeat (protocol/runStatus.ts) when it writes
 * one: fresh and its pid alive; before the first heartbeat, events.jsonl modified within the
 * last minute. The one place this rule lives.
 */
export function isEngineAlive(snap: Pick<RunSnapshot, 'eventsMtimeMs' | 'heartbeat'>, nowMs: number, alive: (pid: number) => boolean = pidAlive): boolean {
  if (snap.heartbeat) return nowMs - Date.parse(snap.heartbeat.time) < HEARTBEAT_STALE_MS && alive(snap.heartbeat.pid);
  return snap.eventsMtimeMs !== undefined && nowMs - snap.eventsMtimeMs < LIVE_WINDOW_MS;
}

/** What this window's RunManager says about a run, if it started it. */
export type ManagedState = 'queued' | 'running' | 'finished' | undefined;

export interface RunProgress {
  stage: StageName;
  epoch: number;
  epochs?: number;
  /** 0..100 within the stage. */
  percent: number;
}

export interface RunRecord {
  runId: string;
  runDir: string;
  /** The kd.json the run came from (the folder sits in `<dir>/.distillery/runs/`). */
  configPath?: string;
  name: string;
  status: RunStatus;
  progress?: RunProgress;
  summary?: RunSummary;
  /** ISO time the run started (summary, run_started, or the id's stamp). */
  startedAt?: string;
  error?: string;
}

export interface RunSnapshot {
  runId: string;
  runDir: string;
  events: RunEvent[];
  summary?: RunSummary;
  eventsMtimeMs?: number;
  heartbeat?: Heartbeat;
}

/** Reads what a run folder holds right now; tolerant of a torn last line and missing files. */
export function readRunSnapshot(runDir: string): RunSnapshot {
  const runId = path.basename(runDir);
  let events: RunEvent[] = [];
  let eventsMtimeMs: number | undefined;
  try {
    const file = path.join(runDir, FILES.events);
    eventsMtimeMs = fs.statSync(file).mtimeMs;
    events = parseEvents(fs.readFileSync(file, 'utf8')).events;
  } catch {
    // no events yet
  }
  let summary: RunSummary | undefined;
  try {
    summary = JSON.parse(fs.readFileSync(path.join(runDir, FILES.summary), 'utf8')) as RunSummary;
  } catch {
    // running, crashed, or summary being written
  }
  return { runId, runDir, events, summary, eventsMtimeMs, heartbeat: summary ? undefined : readHeartbeat(runDir) };
}

/** `YYYYMMDD-HHMMSS-…` → ISO time (local), or undefined. */
export function timeFromRunId(runId: string): string | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})/.exec(runId);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number);
  return new Date(y, mo - 1, d, h, mi, s).toISOString();
}

/** The latest stage's progress from the events. */
export function progressOf(events: RunEvent[]): RunProgress | undefined {
  let progress: RunProgress | undefined;
  for (const e of events) {
    if (e.type === 'stage_started') progress = { stage: e.stage, epoch: 0, epochs: e.epochs, percent: 0 };
    else if (e.type === 'step') progress = { stage: e.stage, epoch: e.epoch, epochs: progress?.stage === e.stage ? progress.epochs : undefined, percent: e.totalSteps ? (100 * e.step) / e.totalSteps : 0 };
    else if (e.type === 'epoch') progress = { stage: e.stage, epoch: e.epoch, epochs: e.epochs, percent: progress?.stage === e.stage ? progress.percent : 0 };
  }
  return progress;
}

/**
 * The status rules, in order: a summary or a run_finished event is final; else this window's
 * RunManager knows; else a live engine elsewhere (isEngineAlive) means running; else the
 * engine died without a word: crashed.
 */
export function deriveRunRecord(snap: RunSnapshot, managed: ManagedState, nowMs: number, configPath?: string, alive: (pid: number) => boolean = pidAlive): RunRecord {
  const started = snap.events.find((e) => e.type === 'run_started');
  const finished = [...snap.events].reverse().find((e) => e.type === 'run_finished');
  const summary = snap.summary ?? (finished?.type === 'run_finished' ? finished.summary : undefined);
  let status: RunStatus;
  if (summary) status = summary.status;
  else if (finished?.type === 'run_finished') status = finished.status;
  else if (managed === 'queued') status = 'queued';
  else if (managed === 'running') status = 'running';
  else if (managed === undefined && isEngineAlive(snap, nowMs, alive)) status = 'running';
  else status = 'crashed';
  const name = summary?.name ?? (started?.type === 'run_started' ? started.name : undefined) ?? snap.runId;
  return {
    runId: snap.runId,
    runDir: snap.runDir,
    configPath: configPath ?? summary?.configPath ?? (started?.type === 'run_started' ? started.configPath : undefined),
    name,
    status,
    progress: status === 'running' ? progressOf(snap.events) : undefined,
    summary,
    startedAt: summary?.startedAt ?? started?.time ?? timeFromRunId(snap.runId),
    error: summary?.error ?? (finished?.type === 'run_finished' ? finished.error : undefined),
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

/** The key result in a few characters: distilled vs scratch accuracy, the gain, its interval and the verdict. */
export function keyResult(r: RunRecord): string | undefined {
  return r.summary ? shortVerdict(r.summary) : undefined;
}

export function progressText(p: RunProgress | undefined): string {
  if (!p) return 'starting';
  const epochs = p.epochs ? `/${p.epochs}` : '';
  return `${p.stage} epoch ${p.epoch}${epochs} · ${p.percent.toFixed(0)}%`;
}

/** ThemeIcon id and ThemeColor id per status. */
export const STATUS_ICONS: Record<RunStatus, { icon: string; color?: string }> = {
  queued: { icon: 'clock' },
  running: { icon: 'sync~spin', color: 'charts.blue' },
  done: { icon: 'pass', color: 'testing.iconPassed' },
  failed: { icon: 'error', color: 'testing.iconFailed' },
  stopped: { icon: 'debug-stop', color: 'charts.yellow' },
  crashed: { icon: 'warning', color: 'problemsWarningIcon.foreground' },
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
  else detail = r.status;
  const tooltip = [
    `${r.name} — ${r.status}`,
    `run ${r.runId}`,
    r.startedAt ? `started ${new Date(r.startedAt).toLocaleString()}` : '',
    r.status === 'running' ? progressText(r.progress) : '',
    r.status === 'done' && r.summary?.student ? verdict(r.summary) : '',
    r.error ? `error: ${r.error}` : '',
    r.status === 'crashed' ? 'The engine stopped writing events without a summary (killed, or the window closed).' : '',
  ].filter(Boolean);
  const { icon, color } = STATUS_ICONS[r.status];
  return { label: r.name, description: [detail, when].filter(Boolean).join(' · '), tooltip: tooltip.join('\n'), icon, color, contextValue: `run.${r.status}` };
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

/** Why a run may not be deleted now, or undefined. */
export function deleteRefusal(r: Pick<RunRecord, 'status' | 'name'>): string | undefined {
  if (r.status === 'running' || r.status === 'queued') return `"${r.name}" is ${r.status}; stop it before deleting its run folder.`;
  return undefined;
}

/** A trial's label: its swept values and seed ("temperature=4 · seed 42"), or the baseline. */
export function trialLabel(t: { kind: 'distill' | 'baseline'; params: Record<string, number>; seed: number }): string {
  const values = Object.entries(t.params).map(([k, v]) => `${k.split('.').at(-1)}=${v}`);
  return `${t.kind === 'baseline' ? 'baseline (scratch)' : values.join(', ') || 'trial'} · seed ${t.seed}`;
}

/** A sweep's line: status, trial count, the best setting, when. */
export function sweepItemModel(s: { name: string; status: 'running' | 'done' | 'failed' | 'stopped'; startedAt: string; trials: { status: string }[]; bestSetting?: { params: Record<string, number>; mean: number } }, nowMs: number): Omit<RunItemModel, 'contextValue'> & { contextValue: string } {
  const done = s.trials.filter((t) => t.status === 'done').length;
  const best = s.bestSetting ? `best ${Object.entries(s.bestSetting.params).map(([k, v]) => `${k.split('.').at(-1)}=${v}`).join(', ')} (${pct(s.bestSetting.mean)})` : '';
  const detail = [s.status === 'running' ? `running ${done}/${s.trials.length} trials` : `${s.status} · ${s.trials.length} trials`, best, relativeTime(s.startedAt, nowMs)].filter(Boolean).join(' · ');
  const { icon, color } = STATUS_ICONS[s.status];
  return { label: `${s.name} (sweep)`, description: detail, tooltip: `${s.name}: temperature/α sweep, ${s.status}\n${detail}`, icon, color, contextValue: `sweep.${s.status}` };
}
