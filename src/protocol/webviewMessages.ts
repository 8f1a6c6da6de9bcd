/**
 * Every message between the extension host and Distillery's webviews, in one union per
 * direction, discriminated on `type`. A webview posts `ready` (with whatever it kept in
 * vscode.setState) once its script runs; the host posts nothing before that, and posts a
 * fresh `init` after every `ready` (a hidden webview is torn down and loads again).
 */
import type { RunEvent, RunSummary } from './events';
import type { ExperimentRow } from './experiments';
import type { RunSeries } from './runSeries';
import type { RunPlan } from './runProgress';
import type { SweepFile } from './sweep';

export type ViewKind = 'dashboard' | 'compare' | 'sweep' | 'experiments';
export type DashboardTab = 'curves' | 'results' | 'confusion' | 'darkKnowledge' | 'log';

/** logits.json: teacher and student logits on the first K test samples, with their pixels. */
export interface LogitsFile {
  /** [height, width, channels] of one image; absent for non-image data. */
  shape?: number[];
  labels: number[];
  teacher: number[][];
  student: number[][];
  /** base64 of uint8 pixels (h·w·c per sample), for image data. */
  images?: string[];
  classNames?: string[];
  /** Every misclassified or disagreeing test sample, for the confusion view's cells (newer runs only). */
  samples?: InspectedSamples;
}

/** One class and its probability (softmax at T = 1, rounded down so that a sample's top classes never sum above 1). */
export type ClassProbability = [cls: number, probability: number];

/**
 * logits.json's `samples`: the test samples that some model got wrong or on which the teacher and
 * a student disagree, each with its thumbnail and every model's top classes. Bounded: past
 * `cap` samples (or the thumbnails' byte budget) the rest, in test order, are left out and counted.
 */
export interface InspectedSamples {
  /** Which samples qualify, in words. */
  rule: string;
  /** Positions into predictions.json's arrays (the test split's order), ascending. */
  positions: number[];
  /** [height, width, channels] of every thumbnail: the data's size, or reduced by an integer factor past `maxSide`. */
  shape?: number[];
  /** base64 of uint8 pixels (h·w·c per sample), one per position; absent for non-image data. */
  images?: string[];
  /** Top classes per position, per model. */
  top: { teacher: ClassProbability[][]; student: ClassProbability[][]; baseline?: ClassProbability[][] };
  /** How many test samples qualify; `omitted` of them are not stored (cap). */
  total: number;
  omitted: number;
  cap: number;
}

/** predictions.json: predicted classes over the whole test split. */
export interface PredictionsFile {
  indices: number[];
  labels: number[];
  teacher: number[];
  student: number[];
  baseline?: number[];
}

/** What the webview keeps in vscode.setState; the host's serializer reads it after a reload. */
export interface DashboardUiState {
  view: 'dashboard';
  runId: string;
  runDir: string;
  tab?: DashboardTab;
  normalise?: boolean;
  confusionModel?: 'student' | 'baseline';
  cell?: { model: 'teacher' | 'student' | 'diff'; actual: number; predicted: number };
  sample?: number;
  temperature?: number;
  /** Loss charts: logarithmic y axis, and EMA smoothing. */
  logScale?: boolean;
  smooth?: boolean;
}

export interface CompareUiState {
  view: 'compare';
  runDirs: string[];
  metric?: 'val' | 'loss';
}

export interface SweepUiState {
  view: 'sweep';
  sweepDir: string;
  sort?: { key: string; descending: boolean };
}

/** How the experiments table was last arranged (it names no folder: the rows are re-read from the workspace). */
export interface ExperimentsUiState {
  view: 'experiments';
  sort?: { key: string; descending: boolean };
  filter?: string;
  /** Statuses and verdicts shown; empty or absent: all. */
  statuses?: string[];
  verdicts?: string[];
  group?: 'none' | 'kdjson' | 'sweep';
  /** The row every other row's metrics are shown against (a run folder's name). */
  pinned?: string;
  /** Settings added as columns by hand (dotted config paths), beside the ones chosen because they differ. */
  columns?: string[];
  onlyDiffering?: boolean;
}

export type WebviewUiState = DashboardUiState | CompareUiState | SweepUiState | ExperimentsUiState;

export interface DashboardInit {
  type: 'init';
  view: 'dashboard';
  runId: string;
  runDir: string;
  /** The run folded so far: disk first, then live events are appended by `events`. */
  series: RunSeries;
  /** Torn or garbage lines skipped in events.jsonl. */
  skippedLines: number;
  /** Whether this window's RunManager is running it (Stop makes sense). */
  live: boolean;
  predictions?: PredictionsFile;
  logits?: LogitsFile;
  /** The tab to show when the webview has no remembered one (openConfusion asks for 'confusion'). */
  tab?: DashboardTab;
  /** Who the run is: a person's name, tags and note (meta.json), its automatic label, the git state it started from. */
  identity?: RunIdentity;
  /** The stages the run will train, from its config.json: the whole run's ETA (runProgress.ts). */
  plan?: RunPlan;
}

/** A run's identity as the dashboard header shows it (protocol/runMeta.ts, protocol/runLabels.ts). */
export interface RunIdentity {
  /** meta.json's name, when a person gave one (else the header shows the kd.json's). */
  name?: string;
  /** "T4 α0.7 · #68c7": what differs from its sibling runs, and its short id. */
  autoLabel: string;
  tags: string[];
  note?: string;
  /** "a1b2c3d · dirty", "no git (not a git repository)"; absent for runs from before it was recorded. */
  git?: string;
  /** Why meta.json could not be read, naming the file. */
  problem?: string;
}

/** One compared run: its curves and results, folded on the host. */
export interface CompareRun {
  runId: string;
  runDir: string;
  name: string;
  series: RunSeries;
  summary?: RunSummary;
  /** config.json as written (the webview flattens it to dotted keys to diff). */
  config: Record<string, unknown>;
}

export interface CompareInit {
  type: 'init';
  view: 'compare';
  runs: CompareRun[];
}

export interface SweepInit {
  type: 'init';
  view: 'sweep';
  sweepDir: string;
  /** The sweep folder's sweep.json (the protocol's one sweep model); none when it cannot be read. */
  sweep?: SweepFile;
}

/** Every run and sweep trial of the workspace, one row each (protocol/experiments.ts). */
export interface ExperimentsInit {
  type: 'init';
  view: 'experiments';
  rows: ExperimentRow[];
}

export type HostMessage =
  | DashboardInit
  | CompareInit
  | SweepInit
  | ExperimentsInit
  /** The experiments table's rows again (a run started, progressed or ended). */
  | { type: 'experiments'; rows: ExperimentRow[] }
  /** Live engine events for the dashboard's run, coalesced (at most 10 messages a second). */
  | { type: 'events'; runId: string; events: RunEvent[] }
  /** The run is (or is no longer) owned by a live engine in this window. */
  | { type: 'live'; runId: string; live: boolean }
  /** Artifacts that appeared after init (predictions.json and logits.json are written at the end). */
  | { type: 'artifacts'; runId: string; predictions?: PredictionsFile; logits?: LogitsFile; summary?: RunSummary; plan?: RunPlan }
  | { type: 'showTab'; tab: DashboardTab }
  /** The sweep folder changed on disk. */
  | { type: 'sweep'; sweep?: SweepFile }
  /** The outcome of a request the webview made (apply best, export, re-run). */
  | { type: 'notice'; level: 'info' | 'error'; text: string };

export type WebviewMessage =
  | { type: 'ready'; view: ViewKind; state?: WebviewUiState }
  | { type: 'stop'; runId: string }
  | { type: 'rerun'; runId: string }
  | { type: 'openConfig'; runId: string }
  /** Apply the sweep's best setting (sweep.json's bestSetting) to its kd.json. */
  | { type: 'applyBest' }
  | { type: 'exportCsv'; fileName: string; csv: string }
  | { type: 'openRun'; runDir: string }
  /** Compare these runs (the experiments table's selection), in the Compare panel. */
  | { type: 'compareRuns'; runDirs: string[] }
  | { type: 'openSweep'; sweepDir: string }
  /** What the webview has drawn, for tests and diagnostics. */
  | { type: 'rendered'; view: ViewKind; steps: number; epochs: number; status: string; charts: number };

const HOST_TYPES = new Set<HostMessage['type']>(['init', 'events', 'live', 'artifacts', 'showTab', 'sweep', 'notice', 'experiments']);
// Messages from a webview are parsed with a schema: webviewMessageSchema.ts (kept out of the webview bundles).

export function isHostMessage(value: unknown): value is HostMessage {
  return !!value && typeof value === 'object' && HOST_TYPES.has((value as { type: HostMessage['type'] }).type);
}
