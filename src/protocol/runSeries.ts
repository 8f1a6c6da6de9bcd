/**
 * Events → chart series: the one pure reducer behind the run dashboard. The host folds a
 * finished run's events.jsonl with it before sending (numbers in columns travel far lighter
 * than 100 000 step objects), and the webview keeps folding live events into the same state.
 *
 * It is idempotent for replays: a step or epoch it has already seen (same stage, same or an
 * earlier step/epoch) is ignored, so "what is on disk" and "what came live" may overlap.
 */
import type { EvalResult, RunEvent, RunStatus, RunSummary, StageName } from './events';

/** One line of a chart, in columns. */
export interface Series {
  x: number[];
  y: number[];
}

/**
 * A stage's key in the series: its name, except for a progressive chain's links, which are
 * `assistant:1`, `assistant:2`, … so that each link keeps its own curves.
 */
export type StageKey = string;

export interface StageProgress {
  stage: StageName;
  key: StageKey;
  model: string;
  epochs: number;
  stepsPerEpoch: number;
  totalSteps: number;
  params: number;
  epoch: number;
  step: number;
  /** Epoch milliseconds of stage_started and of the latest step, for the ETA. */
  startedMs: number;
  lastMs: number;
  samplesPerSec: number;
  done: boolean;
}

export interface EpochSeries {
  epoch: number[];
  train: number[];
  val: number[];
  loss: number[];
}

export interface RunSeries {
  runId: string;
  name: string;
  backend: string;
  configPath: string;
  /** Where the baseline starts (run_started): its name in the live views, before the summary says so. */
  baselineStart?: 'scratch' | 'file';
  status: RunStatus;
  startedAt?: string;
  /** Stages in the order they started. */
  stageOrder: StageKey[];
  stages: Partial<Record<StageKey, StageProgress>>;
  /** The chain link (1-based) whose stage_started came last: steps and epochs of stage `assistant` belong to it. */
  assistantNow?: number;
  /** Loss per step, keyed `<stage>/<term>`; the term `total` is the event's `loss`. */
  loss: Record<string, Series>;
  /** Learning rate per step, keyed by stage. */
  lr: Partial<Record<StageKey, Series>>;
  /** Accuracy and loss per epoch, keyed by stage. */
  epochs: Partial<Record<StageKey, EpochSeries>>;
  /** Held-out accuracy at the end of each stage (stage_done). */
  stageResults: Partial<Record<StageKey, { valAccuracy: number; testAccuracy: number }>>;
  /** The latest log lines (bounded). */
  logs: { time: string; level: 'info' | 'warn' | 'error'; message: string }[];
  summary?: RunSummary;
  error?: string;
  /** Events folded so far (replays excluded). */
  eventCount: number;
  stepCount: number;
}

export const MAX_LOGS = 200;

export function emptyRunSeries(init: Partial<Pick<RunSeries, 'runId' | 'name' | 'configPath' | 'backend'>> = {}): RunSeries {
  return {
    runId: init.runId ?? '',
    name: init.name ?? init.runId ?? '',
    backend: init.backend ?? '',
    configPath: init.configPath ?? '',
    status: 'queued',
    stageOrder: [],
    stages: {},
    loss: {},
    lr: {},
    epochs: {},
    stageResults: {},
    logs: [],
    eventCount: 0,
    stepCount: 0,
  };
}

const ms = (time: string | undefined) => {
  const t = time ? Date.parse(time) : NaN;
  return Number.isFinite(t) ? t : 0;
};

function push(series: Record<string, Series>, key: string, x: number, y: number): void {
  if (!Number.isFinite(y)) return;
  const s = (series[key] ??= { x: [], y: [] });
  s.x.push(x);
  s.y.push(y);
}

/** The key of the stage an event belongs to (see StageKey). */
export function stageKeyOf(state: RunSeries, event: { stage: StageName; assistant?: { index: number } }): StageKey {
  if (event.stage !== 'assistant') return event.stage;
  const index = event.assistant?.index ?? state.assistantNow;
  return index === undefined ? 'assistant' : `assistant:${index}`;
}

/** The stage name of a key: `assistant:2` → `assistant`. */
export const stageOfKey = (key: StageKey): StageName => key.split(':')[0] as StageName;

/**
 * Folds one event into the state, mutating and returning it (the webview keeps one state and
 * folds thousands of events a second; copying per event would be the slow part).
 */
export function reduceRunEvent(state: RunSeries, event: RunEvent): RunSeries {
  switch (event.type) {
    case 'run_started':
      state.runId = event.runId;
      state.name = event.name;
      state.backend = event.backend;
      state.configPath = event.configPath;
      if (event.baselineStart) state.baselineStart = event.baselineStart;
      state.startedAt ??= event.time;
      if (state.status === 'queued') state.status = 'running';
      break;
    case 'log':
      state.logs.push({ time: event.time, level: event.level, message: event.message });
      if (state.logs.length > MAX_LOGS) state.logs.splice(0, state.logs.length - MAX_LOGS);
      break;
    case 'stage_started': {
      if (event.assistant) state.assistantNow = event.assistant.index;
      const key = stageKeyOf(state, event);
      if (state.stages[key]) return state;
      state.stageOrder.push(key);
      const t = ms(event.time);
      state.stages[key] = {
        stage: event.stage,
        key,
        model: event.model,
        epochs: event.epochs,
        stepsPerEpoch: event.stepsPerEpoch,
        totalSteps: event.epochs * event.stepsPerEpoch,
        params: event.params,
        epoch: 0,
        step: 0,
        startedMs: t,
        lastMs: t,
        samplesPerSec: 0,
        done: false,
      };
      if (state.status === 'queued') state.status = 'running';
      break;
    }
    case 'step': {
      const key = stageKeyOf(state, event);
      const st = state.stages[key];
      if (st && event.step <= st.step) return state;
      if (!st) {
        // A step without its stage_started (a torn line): still plot it.
        const lastStep = state.loss[`${key}/total`]?.x.at(-1) ?? 0;
        if (event.step <= lastStep) return state;
      }
      push(state.loss, `${key}/total`, event.step, event.loss);
      for (const [term, value] of Object.entries(event.terms ?? {})) push(state.loss, `${key}/${term}`, event.step, value);
      push(state.lr as Record<string, Series>, key, event.step, event.lr);
      if (st) {
        st.step = event.step;
        st.epoch = Math.max(st.epoch, event.epoch);
        st.totalSteps = event.totalSteps || st.totalSteps;
        st.lastMs = ms(event.time) || st.lastMs;
        st.samplesPerSec = event.samplesPerSec;
      }
      state.stepCount++;
      if (state.status === 'queued') state.status = 'running';
      break;
    }
    case 'epoch': {
      const key = stageKeyOf(state, event);
      const e = (state.epochs[key] ??= { epoch: [], train: [], val: [], loss: [] });
      if (e.epoch.length && event.epoch <= e.epoch[e.epoch.length - 1]) return state;
      e.epoch.push(event.epoch);
      e.train.push(event.trainAccuracy);
      e.val.push(event.valAccuracy);
      e.loss.push(event.loss);
      const st = state.stages[key];
      if (st) {
        st.epoch = Math.max(st.epoch, event.epoch);
        st.epochs = event.epochs || st.epochs;
      }
      break;
    }
    case 'stage_done': {
      const key = stageKeyOf(state, event);
      state.stageResults[key] = { valAccuracy: event.valAccuracy, testAccuracy: event.testAccuracy };
      const st = state.stages[key];
      if (st) st.done = true;
      break;
    }
    case 'run_finished':
      state.status = event.status;
      state.summary = event.summary;
      state.error = event.error ?? event.summary?.error;
      for (const st of Object.values(state.stages)) if (st) st.done = true;
      break;
    default:
      // Unknown event types come from newer engines: ignore them.
      return state;
  }
  state.eventCount++;
  return state;
}

export function reduceRunEvents(state: RunSeries, events: readonly RunEvent[]): RunSeries {
  for (const e of events) reduceRunEvent(state, e);
  return state;
}

/** Sets the summary read from summary.json (the file outlives a torn run_finished line). */
export function withSummary(state: RunSeries, summary: RunSummary | undefined): RunSeries {
  if (!summary) return state;
  state.summary = summary;
  state.status = summary.status;
  state.error = summary.error;
  state.name ||= summary.name;
  state.backend ||= summary.backend;
  for (const st of Object.values(state.stages)) if (st) st.done = true;
  return state;
}

/** The stage training now (the latest started and not done), if any. */
export function currentStage(state: RunSeries): StageProgress | undefined {
  for (let i = state.stageOrder.length - 1; i >= 0; i--) {
    const st = state.stages[state.stageOrder[i]];
    if (st && !st.done) return st;
  }
  return undefined;
}

/**
 * Seconds left in the current stage, from its own pace so far; undefined before two points in
 * time are known. (Stages that have not started yet are not counted: their size is unknown.)
 */
export function stageEtaSeconds(st: StageProgress | undefined): number | undefined {
  if (!st || st.done || st.step <= 0 || st.lastMs <= st.startedMs || st.totalSteps <= 0) return undefined;
  const perStep = (st.lastMs - st.startedMs) / st.step;
  return Math.max(0, ((st.totalSteps - st.step) * perStep) / 1000);
}

/**
 * The teacher's accuracy as a reference line: the summary's test accuracy at the end, else the
 * teacher stage's held-out accuracy if it trained in this run, else its last epoch.
 */
export function teacherAccuracy(state: RunSeries): { value: number; source: 'test' | 'validation' } | undefined {
  const t: EvalResult | undefined = state.summary?.teacher;
  if (t) return { value: t.testAccuracy, source: 'test' };
  const done = state.stageResults.teacher;
  if (done) return { value: done.valAccuracy, source: 'validation' };
  const ep = state.epochs.teacher;
  if (ep?.val.length) return { value: ep.val[ep.val.length - 1], source: 'validation' };
  return undefined;
}

export function isLiveStatus(status: RunStatus): boolean {
  return status === 'queued' || status === 'running';
}
