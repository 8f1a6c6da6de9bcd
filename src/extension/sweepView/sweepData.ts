/**
 * Reads a sweep folder, `.distillery/sweeps/<id>/`, into the SweepResult the webview draws.
 * sweep.json in the engine's format (src/protocol/sweep.ts, `distillery-sweep/1`) is mapped:
 * distillation trials become points, the α = 0 baseline trials the reference line, and the
 * statistics (each setting's mean ± sd, its gain's interval and verdict, the best setting and its
 * warnings) are summarizeSweep's, the engine's one implementation, recomputed on read so a
 * sweep.json from an older version has them too. A sweep.json already shaped as a SweepResult
 * (or a folder of run folders) gets them from the same function. Missing
 * pieces are filled from the trials' run folders: a trial without accuracies gets them from
 * its summary.json or, while it trains, its latest distillation epoch (so the view fills in
 * live); with no sweep.json at all, every run folder in the sweep folder is a trial.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FILES, readSummary } from '../../protocol/runFolder';
import { summarizeSweep, SWEEP_FORMAT, type SweepFile, type SweepTrial as EngineTrial } from '../../protocol/sweep';
import type { SweepResult, SweepTrial } from '../../protocol/webviewMessages';
import { loadRunSeries, readConfig } from '../dashboard/runData';

export const SWEEP_FILE = 'sweep.json';
export const SWEEP_PARAMS_DEFAULT = ['distillation.temperature', 'distillation.alpha'];

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function getPath(obj: unknown, dotted: string): unknown {
  let cur = obj;
  for (const k of dotted.split('.')) cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[k] : undefined;
  return cur;
}

/** Fills a trial's accuracies from its run folder when sweep.json does not have them yet. */
function completeTrial(sweepDir: string, t: SweepTrial): SweepTrial {
  if (!t.runDir) return t;
  const runDir = path.isAbsolute(t.runDir) ? t.runDir : path.join(sweepDir, t.runDir);
  const out = { ...t, runDir };
  if (typeof t.valAccuracy === 'number' && typeof t.testAccuracy === 'number') return out;
  const summary = readSummary(runDir);
  const { series } = loadRunSeries(runDir);
  const val = series.epochs.distill?.val;
  if (out.valAccuracy === undefined && val?.length) out.valAccuracy = series.stageResults.distill?.valAccuracy ?? val[val.length - 1];
  if (summary) {
    out.testAccuracy ??= summary.student?.testAccuracy;
    out.gain ??= summary.gain;
    if (out.status === 'running' || out.status === 'queued') out.status = summary.status === 'crashed' ? 'failed' : (summary.status as SweepTrial['status']);
  }
  return out;
}

function trialsFromRunFolders(sweepDir: string, parameters: string[]): SweepTrial[] {
  let names: string[] = [];
  try {
    names = fs.readdirSync(sweepDir).filter((n) => fs.existsSync(path.join(sweepDir, n, FILES.events))).sort();
  } catch {
    return [];
  }
  return names.map((n) => {
    const config = readConfig(path.join(sweepDir, n));
    const params: Record<string, number | string> = {};
    for (const p of parameters) {
      const v = getPath(config, p);
      if (typeof v === 'number' || typeof v === 'string') params[p] = v;
    }
    return { id: n, runId: n, runDir: n, params, status: 'running' as const };
  });
}

/** The engine's sweep.json → the webview's SweepResult. */
export function fromSweepFile(file: SweepFile): SweepResult {
  const f = structuredClone(file);
  summarizeSweep(f);
  const byMetric = f.metric === 'valAccuracy';
  const baselineMetric = f.baseline?.metric?.mean;
  const trials: SweepTrial[] = f.trials
    .filter((t) => t.kind !== 'baseline')
    .map((t) => ({
      id: t.id,
      runDir: t.runDir,
      params: t.params,
      seed: t.seed,
      status: t.status,
      valAccuracy: t.valAccuracy ?? (byMetric ? t.metric : undefined),
      testAccuracy: t.testAccuracy ?? (!byMetric ? t.metric : undefined),
      gain: t.metric !== undefined && baselineMetric !== undefined && Number.isFinite(baselineMetric) ? t.metric - baselineMetric : undefined,
      error: t.error,
    }));
  return {
    sweepId: f.sweepId,
    name: f.name,
    configPath: f.configPath,
    status: f.status,
    parameters: f.params.map((p) => p.path),
    baseline: f.baseline?.metric
      ? { valAccuracy: byMetric ? f.baseline.metric.mean : undefined, testAccuracy: f.baseline.testAccuracy?.mean ?? (!byMetric ? f.baseline.metric.mean : undefined) }
      : undefined,
    metricLabel: f.metricLabel,
    settings: f.aggregates,
    bestSetting: f.bestSetting,
    bestTrial: f.best?.trialId,
    trials,
    notes: f.notes,
  };
}

/** A sweep without the engine's sweep.json: its trials' statistics by validation accuracy, from summarizeSweep. */
function legacyStats(parameters: string[], trials: SweepTrial[]): Pick<SweepResult, 'metricLabel' | 'settings' | 'bestSetting' | 'bestTrial'> {
  const numeric = (params: SweepTrial['params']) => Object.fromEntries(Object.entries(params).filter(([, v]) => typeof v === 'number')) as Record<string, number>;
  const engineTrials: EngineTrial[] = trials.map((t) => ({ id: t.id, kind: 'distill', params: numeric(t.params), seed: t.seed ?? 0, runDir: t.runDir ?? '', configFile: '', status: t.status, metric: t.valAccuracy, valAccuracy: t.valAccuracy, testAccuracy: t.testAccuracy }));
  const f = { trials: engineTrials, seeds: [...new Set(engineTrials.map((t) => t.seed))], params: parameters.map((p) => ({ path: p, values: [] })), aggregates: [] } as unknown as SweepFile;
  summarizeSweep(f);
  return { metricLabel: 'validation accuracy', settings: f.aggregates, bestSetting: f.bestSetting, bestTrial: f.best?.trialId };
}

export function loadSweep(sweepDir: string): SweepResult {
  const file = readJson(path.join(sweepDir, SWEEP_FILE)) as (Partial<SweepResult> & { format?: string }) | undefined;
  const engine = file?.format === SWEEP_FORMAT;
  const raw: Partial<SweepResult> | undefined = engine ? fromSweepFile(file as unknown as SweepFile) : file;
  // The engine's list is the truth (a seeded run sweeps nothing); older files may lack one.
  const parameters = Array.isArray(raw?.parameters) && (engine || raw.parameters.length) ? raw.parameters.map(String) : SWEEP_PARAMS_DEFAULT;
  const trials = (Array.isArray(raw?.trials) ? raw.trials.filter((t) => t && typeof t === 'object' && t.params) : trialsFromRunFolders(sweepDir, parameters)).map((t, i) => completeTrial(sweepDir, { ...t, id: String(t.id ?? i + 1), status: t.status ?? 'queued' }));
  return {
    ...(engine ? { metricLabel: raw!.metricLabel, settings: raw!.settings, bestSetting: raw!.bestSetting, bestTrial: raw!.bestTrial } : legacyStats(parameters, trials)),
    sweepId: raw?.sweepId ?? path.basename(sweepDir),
    name: raw?.name,
    configPath: raw?.configPath,
    status: raw?.status,
    parameters,
    baseline: raw?.baseline,
    notes: raw?.notes,
    trials,
  };
}
