/**
 * How far a sweep is, counted once, as `distill sweep` counts it ("[k/N]"): every trial, the
 * baselines included, and a trial is finished once it is no longer queued or running (done,
 * failed or stopped). The sweep view's header, the Runs tree's sweep node and the progress
 * notification all say these numbers, so they agree with each other and with the CLI.
 */
export interface TrialCounts {
  total: number;
  finished: number;
  done: number;
  failed: number;
  baselines: number;
  distilled: number;
}

/** A sweep.json trial's status and kind ('distill' or 'baseline'; the tree's models may lack it). */
type CountedTrial = { status: string; kind?: string };

export function trialCounts(trials: readonly CountedTrial[]): TrialCounts {
  const n = (keep: (t: CountedTrial) => boolean) => trials.filter(keep).length;
  const baselines = n((t) => t.kind === 'baseline');
  return {
    total: trials.length,
    finished: n((t) => t.status !== 'queued' && t.status !== 'running'),
    done: n((t) => t.status === 'done'),
    failed: n((t) => t.status === 'failed'),
    baselines,
    distilled: trials.length - baselines,
  };
}

/** "3/10 trials finished (8 distilled, 2 baselines), 1 failed": the view's header and the notification's line. */
export function trialCountsText(c: TrialCounts): string {
  const kinds = c.baselines ? ` (${c.distilled} distilled, ${c.baselines} baseline${c.baselines === 1 ? '' : 's'})` : '';
  return `${c.finished}/${c.total} trials finished${kinds}${c.failed ? `, ${c.failed} failed` : ''}`;
}
