/**
 * A sweep folder, `.distillery/sweeps/<id>/`, as the sweep view draws it: the protocol's one
 * sweep model (src/protocol/sweep.ts), read by readSweep (statistics by summarizeSweep, a sweep
 * whose process is gone read as stopped). The one thing added here is live: while a trial
 * trains, sweep.json has no accuracy for it yet, so it gets its latest distillation epoch's
 * validation accuracy (and, once written, its summary's result) from its run folder, and the
 * view fills in as trials train.
 */
import * as path from 'node:path';
import { readSummary } from '../../protocol/runFolder';
import { readSweep, type SweepFile, type SweepTrial } from '../../protocol/sweep';
import { loadRunSeries } from '../dashboard/runData';

/** Fills a trial's accuracies from its run folder when sweep.json does not have them yet. */
function completeTrial(sweepDir: string, t: SweepTrial): SweepTrial {
  if (typeof t.valAccuracy === 'number' && typeof t.testAccuracy === 'number') return t;
  const runDir = path.resolve(sweepDir, t.runDir);
  const out = { ...t };
  const summary = readSummary(runDir);
  const { series } = loadRunSeries(runDir);
  const val = series.epochs.distill?.val;
  if (out.valAccuracy === undefined && val?.length) out.valAccuracy = series.stageResults.distill?.valAccuracy ?? val[val.length - 1];
  if (summary) {
    out.testAccuracy ??= summary.student?.testAccuracy;
    if (out.status === 'running' || out.status === 'queued') out.status = summary.status === 'crashed' ? 'failed' : (summary.status as SweepTrial['status']);
  }
  return out;
}

/** The sweep in `sweepDir`, or undefined when it has no readable sweep.json. */
export function loadSweep(sweepDir: string): SweepFile | undefined {
  const sweep = readSweep(sweepDir);
  if (!sweep) return undefined;
  return { ...sweep, trials: sweep.trials.map((t) => completeTrial(sweepDir, t)) };
}

/** The view's tab title: the sweep's name, "(seeds)" for a seeded run; the folder's name without a readable sweep.json. */
export function sweepTitle(sweepDir: string, sweep: Pick<SweepFile, 'name' | 'params'> | undefined): string {
  if (!sweep) return path.basename(sweepDir);
  return sweep.params.length ? sweep.name : `${sweep.name} (seeds)`;
}
