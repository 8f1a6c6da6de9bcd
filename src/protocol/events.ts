/**
 * What the engine says while it runs. Each event is one line of `events.jsonl` in the run
 * folder and, when the engine has a parent, the same object over the IPC channel. Readers
 * (CLI, extension host, webviews) switch on `type`; unknown types are ignored so that older
 * readers survive newer engines.
 */
import type { LatencyStats } from './stats/latency';
import type { Verdict } from './stats/verdict';

/** `assistant`: one link of a progressive (teacher-assistant) chain; see `assistant` on the events. */
export type StageName = 'teacher' | 'assistant' | 'baseline' | 'distill';
export type RunStatus = 'queued' | 'running' | 'done' | 'failed' | 'stopped' | 'crashed' | 'not-responding';

export interface ModelStats {
  /** Trainable + non-trainable parameters. */
  params: number;
  /** Bytes of the weights as float32: params × 4 (not the files; see `savedBytes`). */
  bytes: number;
  /** Median wall time of one single-sample forward pass, in milliseconds (`latency.batch1.medianMs`). */
  latencyMs: number;
  /** Bytes on disk of the saved model (model.json + its weight files) where this run saved it or loaded it from; absent for a model not saved (the baseline). */
  savedBytes?: number;
  /** Per-sample latency with its spread, at batch 1 and at the training batch size (absent in runs before it was measured). */
  latency?: ModelLatency;
}

/** Medians and interquartile ranges of timed forward passes, per sample (src/protocol/stats/latency.ts). */
export interface ModelLatency {
  batch1: LatencyStats;
  /** `size`: the batch measured (the training batch size, at most 1024). */
  batch: LatencyStats & { size: number };
}

export interface EvalResult extends ModelStats {
  testAccuracy: number;
  /** Validation accuracy at the end of the model's training stage, when it trained in this run. */
  valAccuracy?: number;
  /** confusion[trueClass][predictedClass], counted on the test split. */
  confusion: number[][];
}

/** One extra output's test metric for the teacher, the distilled student and the baseline. */
export interface OutputResult {
  /** "inkBox", "inkCentre", or the target file as written in kd.json. */
  target: string;
  /**
   * `iou`: mean intersection over union of boxes (higher is better); `pixelError`: mean
   * distance in pixels (lower is better); `mae`: mean absolute error of file values (lower is better).
   */
  metric: 'iou' | 'pixelError' | 'mae';
  teacher: number;
  student: number;
  baseline?: number;
  /** Distilled minus from scratch, in the metric's unit (present with a baseline). */
  gain?: number;
  /** 95 % t-interval of the mean per-sample difference distilled − baseline, paired on the test samples. */
  gainInterval95?: [number, number];
  /** Whether distillation made this head better (the sign turned for lower-is-better metrics); "no measurable difference" when the interval contains 0. */
  verdict?: Verdict;
}

export interface RunSummary {
  runId: string;
  name: string;
  status: RunStatus;
  backend: string;
  /** Threads the run's steps could use (protocol/threads.ts); absent in runs older than the option. */
  threads?: number;
  startedAt: string;
  endedAt: string;
  durationSec: number;
  error?: string;
  configPath: string;
  teacher?: EvalResult & { id: string; ids: string[]; /** How the ensemble combined its teachers. */ combine?: string };
  /** Each teacher alone (present when there are several teachers). */
  teachers?: (EvalResult & { id: string })[];
  /** Progressive distillation: each teacher assistant, largest first, saved under `model`. */
  assistants?: (EvalResult & { index: number; description: string; model: string })[];
  /** Training samples whose labels were hidden (unlabeled transfer data). */
  unlabeled?: number;
  student?: EvalResult;
  /** The student learned from the labels alone (no teacher term: a sweep's baseline trial, or α = 0 with no other term; teacherTerm.ts). */
  noTeacherTerm?: true;
  /**
   * `start`: where the baseline (and the student) started: "scratch", fresh seeded weights, or
   * "file", a model file's weights (student.init "file"); absent in runs before it was recorded,
   * which read as "scratch". Name it with format.ts baselineName.
   */
  baseline?: EvalResult & { start?: 'scratch' | 'file' };
  /** Distilled minus scratch test accuracy (absolute, 0..1); absent without a baseline. */
  gain?: number;
  /** Whether `gain` is more than noise: the paired test on the same test samples (absent without a baseline). */
  significance?: Significance;
  /** Fraction of test samples where teacher and distilled student predict the same class. */
  agreement?: number;
  /** Teacher params / student params. */
  compression?: number;
  /** Relative folder of the saved student inside the run folder. */
  studentModel?: string;
  /** Multi-output distillation: each extra head's test metric, per model (absent in runs without kd.json `outputs`). */
  outputs?: Record<string, OutputResult>;
  numClasses: number;
  /** The name of each class id, when the data names them (image-folder names, CSV label strings, CIFAR meta files). */
  classNames?: string[];
  testSamples: number;
  /** The student's exported forms (`distill export`), newest last: added to summary.json after the run, one per format and path. */
  exports?: ExportRecord[];
}

/** One exported form of a run's student: its size on disk and its test accuracy, against the trained float model. */
export interface ExportRecord {
  format: 'onnx' | 'tfjs' | 'float16' | 'uint8';
  /** The file (ONNX) or model folder written, absolute. */
  path: string;
  bytes: number;
  /** Test accuracy of the exported form (0..1), run by ONNX Runtime for ONNX, by tfjs otherwise. */
  accuracy: number;
  /** The trained student's own test accuracy (float32 tfjs). */
  floatAccuracy: number;
  /** Largest |logit difference| to the float tfjs model over the whole test split. */
  maxAbsDiff: number;
  testSamples: number;
  /** ONNX: the graph input's layout. */
  layout?: 'nchw' | 'nhwc';
  /** ONNX: per-sample latency under onnxruntime-node at batch 1, median ms. */
  ortLatencyMs?: number;
  time: string;
}

/**
 * The distilled student against the baseline on the same test samples (src/protocol/stats/paired.ts).
 * `discordant`: [distilled right & baseline wrong, baseline right & distilled wrong];
 * `pValue`: McNemar's exact two-sided test on them; `interval95`: the 95 % interval of the
 * accuracy difference (0..1 units, like `gain`), by `method`; `verdict` follows the interval.
 */
export interface Significance {
  test: 'mcnemar';
  discordant: [number, number];
  pValue: number;
  interval95: [number, number];
  method: string;
  verdict: Verdict;
}

interface Base {
  /** ISO time the event was written. */
  time: string;
}

export interface RunStartedEvent extends Base {
  type: 'run_started';
  runId: string;
  runDir: string;
  name: string;
  pid: number;
  backend: string;
  /** Threads the run's steps may use (protocol/threads.ts). */
  threads?: number;
  configPath: string;
  /** Set when this attempt continues the run from a checkpoint (`distill resume`). */
  resumedFrom?: string;
  /** Where the baseline starts (kd.json student.init): live views name it before the summary exists. */
  baselineStart?: 'scratch' | 'file';
}

export interface LogEvent extends Base {
  type: 'log';
  level: 'info' | 'warn' | 'error';
  message: string;
}

export interface StageStartedEvent extends Base {
  type: 'stage_started';
  stage: StageName;
  model: string;
  epochs: number;
  stepsPerEpoch: number;
  params: number;
  /** For stage `assistant`: which link of the chain (1-based) of how many. */
  assistant?: { index: number; of: number; description: string };
}

export interface StepEvent extends Base {
  type: 'step';
  stage: StageName;
  epoch: number;
  /** Global step within the stage, counting from 1. */
  step: number;
  totalSteps: number;
  loss: number;
  /** The loss terms, by name: `kd`, `ce`, later `feature`, `attention`, … */
  terms: Record<string, number>;
  lr: number;
  samplesPerSec: number;
  /** Current values of scheduled hyper-parameters (`alpha`, `temperature`, `beta`) in this stage. */
  hyper?: Record<string, number>;
}

export interface EpochEvent extends Base {
  type: 'epoch';
  stage: StageName;
  epoch: number;
  epochs: number;
  loss: number;
  trainAccuracy: number;
  valAccuracy: number;
  seconds: number;
}

export interface StageDoneEvent extends Base {
  type: 'stage_done';
  stage: StageName;
  /** For stage `assistant`: which link (1-based), and the folder it was saved in. */
  assistant?: { index: number; model: string };
  valAccuracy: number;
  testAccuracy: number;
}

export interface RunFinishedEvent extends Base {
  type: 'run_finished';
  status: Exclude<RunStatus, 'queued' | 'running' | 'crashed' | 'not-responding'>;
  error?: string;
  summary: RunSummary;
}

/**
 * Where the student's teacher outputs come from, said once a stage has them: the on-disk
 * cache (`cache-hit`), computed now (and cached, when `file` is set), or the teacher running
 * live on each batch. A sweep holds its other parallel trials back until the first trial has
 * sent this (runSweep.ts), so it is an event, not a log line to match.
 */
export interface TeacherLogitsEvent extends Base {
  type: 'teacher_logits';
  source: 'cache-hit' | 'computed' | 'live';
  /** The cache file read or written. */
  file?: string;
}

export type RunEvent = RunStartedEvent | LogEvent | StageStartedEvent | StepEvent | EpochEvent | StageDoneEvent | RunFinishedEvent | TeacherLogitsEvent;

/** Sent instead of any run event when the config cannot run; no run folder is created. */
export interface ConfigErrorMessage {
  type: 'config_error';
  configPath: string;
  issues: { path: (string | number)[]; message: string; line?: number; column?: number }[];
}

/** `engine --validate`: every check a run makes before training passed; nothing was trained or written. */
export interface ConfigValidMessage {
  type: 'config_valid';
  configPath: string;
  backend: string;
  /** The data as a run would log it: source, split sizes, classes. */
  data: string;
  notes: string[];
}

/**
 * Sent when the engine fails in a way no run folder records (before the folder exists, or a
 * failure of the process itself); the engine then exits with code 1. `message` is in words,
 * without a stack.
 */
export interface EngineFailedMessage {
  type: 'engine_failed';
  message: string;
}

/**
 * Sent while a data source is decoded (an image folder's files), before the run folder exists
 * and so not in events.jsonl: the CLI draws a bar, the extension a progress notification. A
 * decode-cache hit sends none.
 */
export interface DataProgressMessage {
  type: 'data_progress';
  /** What is being done, in words: "decoding images". */
  what: string;
  done: number;
  total: number;
}

/** Everything the engine sends its parent: the run's events, why no run started (or that one could), that the engine failed, or decoding progress. */
export type EngineMessage = RunEvent | ConfigErrorMessage | ConfigValidMessage | EngineFailedMessage | DataProgressMessage;

/** Messages a parent sends to the engine over IPC. */
export type EngineCommand = { type: 'stop' };

/** Distributive Omit, so that a union keeps its discriminant. */
export type EventInput = RunEvent extends infer E ? (E extends RunEvent ? Omit<E, 'time'> : never) : never;
