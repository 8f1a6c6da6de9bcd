/**
 * How far a run is, said once for every place that shows it: the epoch count ("epoch 3/5",
 * the status bar and the dashboard header alike) and one ETA for the whole run (teacher →
 * assistants → distill → baseline), from the plan's epochs and the pace measured so far.
 * Pure: no vscode, no tfjs, no DOM.
 */
import { currentStage, stageEtaSeconds, type RunSeries, type StageKey, type StageProgress } from './runSeries';

/**
 * "epoch 3/5": the epoch in progress (or the last one finished) of the planned ones. Both folds
 * (runReader.foldProgress for the status bar and the tree, runSeries for the dashboard) keep
 * `epoch` and `epochs` with the same meaning; this is the one way they are written.
 */
export function epochText(p: { epoch: number; epochs?: number }): string {
  return `epoch ${p.epoch}${p.epochs ? `/${p.epochs}` : ''}`;
}

/** A stage the engine will train after the teachers, with the budget kd.json gives it. */
export interface PlannedStage {
  key: StageKey;
  epochs: number;
  batchSize: number;
}

/**
 * What the run will train, read from its config.json (the resolved kd.json). Teachers train
 * first, only those without saved weights, so their stages are known when they start (and
 * never after the student's); what follows is fixed by the config: each assistant of a
 * progressive chain, the distilled student, then the baseline — all on `training`
 * (src/engine/run/runner.ts runs them in this order).
 */
export interface RunPlan {
  /** The batch size of the first teacher that trains here, for its samples per step. */
  teacherBatchSize?: number;
  after: PlannedStage[];
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined);
const obj = (v: unknown): Record<string, unknown> | undefined => (v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined);

/** The plan of a config.json, or undefined when it does not look like a resolved config. */
export function runPlanOf(config: unknown): RunPlan | undefined {
  const cfg = obj(config);
  const training = obj(cfg?.training);
  const epochs = num(training?.epochs);
  const batchSize = num(training?.batchSize);
  if (!cfg || !epochs || !batchSize) return undefined;
  const assistants = Array.isArray(cfg.assistants) ? cfg.assistants.length : 0;
  const after: PlannedStage[] = [];
  for (let i = 1; i <= assistants; i++) after.push({ key: `assistant:${i}`, epochs, batchSize });
  after.push({ key: 'distill', epochs, batchSize });
  if (cfg.baseline !== false) after.push({ key: 'baseline', epochs, batchSize });
  const teachers = Array.isArray(cfg.teachers) ? cfg.teachers : [];
  const trained = teachers.map((t) => num(obj(obj(t)?.training)?.batchSize)).find((b) => b !== undefined);
  return { teacherBatchSize: trained, after };
}

const batchOf = (key: StageKey, plan: RunPlan): number | undefined =>
  key === 'teacher' ? plan.teacherBatchSize : plan.after.find((p) => p.key === key)?.batchSize;

/** Milliseconds per training sample a started stage has measured, or undefined before it has two points in time. */
function msPerSample(st: StageProgress, batchSize: number): number | undefined {
  if (st.step <= 0 || st.lastMs <= st.startedMs) return undefined;
  return (st.lastMs - st.startedMs) / (st.step * batchSize);
}

/**
 * Seconds left in the whole run: the rest of the current stage at its own pace, plus every
 * planned stage not started yet, sized by the training set (samples per epoch, measured by a
 * started stage) times its epochs, at the pace of the latest started stage that trains the same
 * model (the baseline runs about as fast as the distilled student), else the current one's.
 * Undefined while nothing has been measured. Without a plan, only the current stage counts
 * (`wholeRun: false`).
 */
export function runEtaSeconds(s: RunSeries, plan: RunPlan | undefined): { seconds: number; wholeRun: boolean } | undefined {
  const current = currentStage(s);
  // The current stage's rest at its own pace: the one rule, runSeries.ts stageEtaSeconds.
  const left = stageEtaSeconds(current);
  if (!current || left === undefined) return undefined;
  let ms = left * 1000;
  if (!plan) return { seconds: ms / 1000, wholeRun: false };
  const started = s.stageOrder.map((k) => s.stages[k]).filter((st): st is StageProgress => !!st);
  // Samples per epoch: a started stage's steps per epoch times its batch (the last batch may be short: a little over).
  const sized = started.find((st) => batchOf(st.key, plan) !== undefined && st.stepsPerEpoch > 0);
  const samplesPerEpoch = sized ? sized.stepsPerEpoch * batchOf(sized.key, plan)! : undefined;
  const currentBatch = batchOf(current.key, plan);
  const currentPace = currentBatch ? msPerSample(current, currentBatch) : undefined;
  for (const next of plan.after) {
    if (s.stages[next.key]) continue;
    if (samplesPerEpoch === undefined) return { seconds: ms / 1000, wholeRun: false };
    const model = next.key === 'distill' || next.key === 'baseline' ? 'student' : undefined;
    const twin = [...started].reverse().find((st) => model && st.model === model && msPerSample(st, batchOf(st.key, plan) ?? 0) !== undefined);
    const pace = twin ? msPerSample(twin, batchOf(twin.key, plan)!) : currentPace;
    if (pace === undefined) return { seconds: ms / 1000, wholeRun: false };
    ms += next.epochs * Math.ceil(samplesPerEpoch / next.batchSize) * next.batchSize * pace;
  }
  return { seconds: ms / 1000, wholeRun: true };
}
