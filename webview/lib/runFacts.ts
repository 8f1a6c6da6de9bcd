/**
 * The words under the dashboard's title, and what a run that did not finish measured: pure,
 * for the unit test. While a run trains: its stage, epoch (runProgress.epochText, as the status
 * bar says it), step, pace and one ETA for the whole run. Once it has ended: the final
 * accuracies and the wall time, or for a stopped, failed or crashed run, where it stopped and
 * the last accuracies it had evaluated.
 */
import { baselineName, formatDuration, pct, signedPoints, studentName } from '../../src/protocol/format';
import { epochText, runEtaSeconds, type RunPlan } from '../../src/protocol/runProgress';
import { currentStage, isLiveStatus, stageOfKey, type RunSeries, type StageKey } from '../../src/protocol/runSeries';
import { stageLabel } from './runCurves';

/** One trained stage of a run that has no final results: how far it got and its last accuracies. */
export interface PartialRow {
  key: StageKey;
  label: string;
  /** Epochs finished (an epoch event seen), of those planned. */
  epochsDone: number;
  epochsPlanned: number;
  lastVal?: number;
  lastTrain?: number;
  /** The held-out accuracy when the stage ended (stage_done), if it did. */
  stageVal?: number;
}

/** Every stage that started, in order, with what it measured (the results card of a stopped run). */
export function partialRows(s: RunSeries): PartialRow[] {
  return s.stageOrder.map((key) => {
    const st = s.stages[key];
    const e = s.epochs[key];
    const n = e?.epoch.length ?? 0;
    return {
      key,
      label: stageLabel(key, s),
      epochsDone: n ? e!.epoch[n - 1] : 0,
      epochsPlanned: st?.epochs ?? 0,
      lastVal: n ? e!.val[n - 1] : undefined,
      lastTrain: n ? e!.train[n - 1] : undefined,
      stageVal: s.stageResults[key]?.valAccuracy,
    };
  });
}

/** Whether the summary carries final results (a stopped run's summary has none: no evaluation). */
export const hasFinalResults = (s: RunSeries) => !!s.summary?.student;

export interface HeaderInput {
  series: RunSeries;
  plan?: RunPlan;
  skippedLines?: number;
}

export function headerFacts(m: HeaderInput): string {
  const s = m.series;
  const parts: string[] = [];
  // Running here, or in another window or the CLI: its progress either way.
  if (isLiveStatus(s.status)) {
    const st = currentStage(s) ?? (s.stageOrder.length ? s.stages[s.stageOrder[s.stageOrder.length - 1]] : undefined);
    parts.push(`backend ${s.backend || '—'}`);
    if (st) {
      parts.push(stageLabel(st.key, s), epochText(st), `step ${st.step}/${st.totalSteps}`);
      if (st.samplesPerSec) parts.push(`${Math.round(st.samplesPerSec)} samples/s`);
    }
    const eta = runEtaSeconds(s, m.plan);
    parts.push(eta ? `ETA ${formatDuration(eta.seconds)} (${eta.wholeRun ? 'whole run' : 'this stage'})` : 'ETA —');
  } else if (hasFinalResults(s)) {
    const sum = s.summary!;
    parts.push(`${studentName(sum, 'short')} ${pct(sum.student!.testAccuracy)}`);
    if (sum.baseline) parts.push(`${baselineName(sum, 'from')} ${pct(sum.baseline.testAccuracy)}`);
    if (sum.gain !== undefined) parts.push(`gain ${signedPoints(sum.gain)}`);
    if (sum.teacher) parts.push(`teacher ${pct(sum.teacher.testAccuracy)}`);
    parts.push(`took ${formatDuration(sum.durationSec)}`, `backend ${s.backend || sum.backend || '—'}`);
  } else {
    // Ended without final results (stopped, failed, crashed), or never started: where it got to.
    const rows = partialRows(s);
    const last = rows[rows.length - 1];
    if (last) parts.push(`${s.status} in ${last.label} after ${last.epochsDone}/${last.epochsPlanned} epochs`);
    const evaluated = rows.filter((r) => r.lastVal !== undefined && stageOfKey(r.key) !== 'teacher');
    if (evaluated.length) parts.push(`last validation: ${evaluated.map((r) => `${r.label} ${pct(r.lastVal)}`).join(', ')}`);
    if (s.summary) parts.push(`took ${formatDuration(s.summary.durationSec)}`);
    parts.push(`backend ${s.backend || '—'}`);
  }
  if (m.skippedLines) parts.push(`${m.skippedLines} unreadable line${m.skippedLines === 1 ? '' : 's'} in events.jsonl skipped`);
  return parts.join(' · ');
}
