/**
 * Reads a sweep folder, `.distillery/sweeps/<id>/`, into a SweepResult. ASSUMED FORMAT (the
 * engine's sweep contract was not in src/protocol when this was written): `sweep.json` holds
 * a SweepResult (see webviewMessages.ts) — `parameters` (dotted kd.json paths), `trials` with
 * `params`, `status`, `runDir` (relative to the sweep folder or absolute) and accuracies,
 * optional `baseline`, `best`, `configPath`. Missing pieces are filled from the trials' run
 * folders: a trial without accuracies gets them from its summary.json or, while it trains,
 * its latest distillation epoch; with no sweep.json at all, every run folder inside the sweep
 * folder is a trial whose params are its config's temperature and α.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FILES, readSummary } from '../../protocol/runFolder';
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

export function loadSweep(sweepDir: string): SweepResult {
  const raw = readJson(path.join(sweepDir, SWEEP_FILE)) as Partial<SweepResult> | undefined;
  const parameters = Array.isArray(raw?.parameters) && raw.parameters.length ? raw.parameters.map(String) : SWEEP_PARAMS_DEFAULT;
  const trials = Array.isArray(raw?.trials) ? raw.trials.filter((t) => t && typeof t === 'object' && t.params) : trialsFromRunFolders(sweepDir, parameters);
  return {
    sweepId: raw?.sweepId ?? path.basename(sweepDir),
    name: raw?.name,
    configPath: raw?.configPath,
    status: raw?.status,
    parameters,
    baseline: raw?.baseline,
    best: raw?.best,
    trials: trials.map((t, i) => completeTrial(sweepDir, { ...t, id: String(t.id ?? i + 1), status: t.status ?? 'queued' })),
  };
}
