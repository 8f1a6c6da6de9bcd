import * as assert from 'node:assert/strict';
import type { RunEvent } from '../../../src/protocol/events';
import { foldProgress, type RunProgress } from '../../../src/protocol/runReader';
import { runEtaSeconds, runPlanOf, type RunPlan } from '../../../src/protocol/runProgress';
import { emptyRunSeries, reduceRunEvent, reduceRunEvents, withSummary } from '../../../src/protocol/runSeries';
import { parseWebviewUiState } from '../../../src/protocol/webviewMessageSchema';
import { statusText } from '../../../src/extension/tree/runInfo';
import { headerFacts, partialRows } from '../../../webview/lib/runFacts';
import { stageLabel } from '../../../webview/lib/runCurves';
import { doneSummary, stageEvents, WHOLE_RUN } from './runEventsFixture';

const PLAN: RunPlan = {
  teacherBatchSize: 64,
  after: [
    { key: 'distill', epochs: 2, batchSize: 64 },
    { key: 'baseline', epochs: 2, batchSize: 64 },
  ],
};

describe('dashboard header and partial results (webview/lib/runFacts, protocol/runProgress)', () => {
  it('the status bar and the dashboard header say the same epoch count after every event of a run', () => {
    const events = stageEvents(WHOLE_RUN);
    const series = emptyRunSeries();
    let progress: RunProgress | undefined;
    let compared = 0;
    for (const e of events) {
      reduceRunEvent(series, e);
      progress = foldProgress(progress, e);
      const bar = statusText([{ name: 'mnist', state: 'running', progress }]) ?? '';
      const header = headerFacts({ series, plan: PLAN });
      const epochOf = (t: string) => /epoch \d+(\/\d+)?/.exec(t)?.[0];
      if (!epochOf(bar)) continue;
      assert.equal(epochOf(header), epochOf(bar), `after ${e.type} ${JSON.stringify(e).slice(0, 120)}:\n  bar: ${bar}\n  header: ${header}`);
      compared++;
    }
    assert.ok(compared > 30, `compared ${compared} times`);
  });

  it('one ETA for the whole run: the teacher’s rest plus distill and baseline sized by the plan at the measured pace', () => {
    // Teacher at step 5 of 7 after 5 s (1 s a step of 64 samples); distill and baseline: 2 epochs × 7 steps each.
    const teacherAt5 = stageEvents([{ ...WHOLE_RUN[0], stopAfter: 5 }]);
    const s = reduceRunEvents(emptyRunSeries(), teacherAt5);
    assert.deepEqual(runEtaSeconds(s, PLAN), { seconds: 2 + 14 + 14, wholeRun: true });
    // Without a plan only the current stage is counted, and the header says so.
    assert.deepEqual(runEtaSeconds(s, undefined), { seconds: 2, wholeRun: false });
    assert.match(headerFacts({ series: s, plan: undefined }), /ETA 0:02 \(this stage\)/);
    assert.match(headerFacts({ series: s, plan: PLAN }), /ETA 0:30 \(whole run\)/);
  });

  it('the baseline is timed at the distilled student’s pace (the same model), not the teacher’s', () => {
    const clock = { s: 0 };
    const ev = stageEvents([WHOLE_RUN[0], { ...WHOLE_RUN[1], stopAfter: 7 }], clock);
    const s = reduceRunEvents(emptyRunSeries(), ev);
    // Distill: 7 of 14 steps took 7 s (its stage_started and step times); 7 left, then 14 baseline steps at 1 s.
    assert.deepEqual(runEtaSeconds(s, PLAN), { seconds: 7 + 14, wholeRun: true });
    // A student twice as fast as measured halves the baseline's share.
    const fast = reduceRunEvents(emptyRunSeries(), ev);
    fast.stages.distill!.lastMs = fast.stages.distill!.startedMs + 3500;
    assert.deepEqual(runEtaSeconds(fast, PLAN), { seconds: 3.5 + 7, wholeRun: true });
  });

  it('reads the plan from config.json: assistants, distill, then the baseline unless turned off', () => {
    const cfg = {
      teachers: [{ id: 't', training: { epochs: 1, batchSize: 32 } }],
      training: { epochs: 5, batchSize: 64 },
      assistants: [{}, {}],
      baseline: true,
    };
    assert.deepEqual(runPlanOf(cfg), {
      teacherBatchSize: 32,
      after: [
        { key: 'assistant:1', epochs: 5, batchSize: 64 },
        { key: 'assistant:2', epochs: 5, batchSize: 64 },
        { key: 'distill', epochs: 5, batchSize: 64 },
        { key: 'baseline', epochs: 5, batchSize: 64 },
      ],
    });
    assert.deepEqual(
      runPlanOf({ ...cfg, assistants: [], baseline: false })?.after.map((p) => p.key),
      ['distill'],
    );
    assert.equal(runPlanOf({ training: {} }), undefined);
    assert.equal(runPlanOf('garbage'), undefined);
  });

  it('after the run: done with the final accuracies and the wall time, not the last stage’s pace', () => {
    const s = reduceRunEvents(emptyRunSeries(), stageEvents(WHOLE_RUN));
    withSummary(s, doneSummary());
    const facts = headerFacts({ series: s, plan: PLAN });
    assert.equal(facts, 'distilled 43.33% · from scratch 41.67% · gain +1.66 pts · teacher 91.17% · took 1:15 · backend wasm');
    assert.doesNotMatch(facts, /samples\/s|ETA|step/);
  });

  it("a sweep's baseline trial (no teacher term) is named a baseline in the header and its curves, not 'distilled'", () => {
    const s = reduceRunEvents(emptyRunSeries(), stageEvents(WHOLE_RUN));
    withSummary(s, { ...doneSummary(), baseline: undefined, gain: undefined, significance: undefined, noTeacherTerm: true });
    assert.match(headerFacts({ series: s, plan: PLAN }), /^baseline \(no teacher term\) 43\.33% · teacher/);
    assert.equal(stageLabel('distill', s), 'student, no teacher term (baseline)');
  });

  it('a stopped run: where it stopped, epochs done of planned, and the last validation accuracies', () => {
    const ev: RunEvent[] = stageEvents([WHOLE_RUN[0], { ...WHOLE_RUN[1], epochs: 200, val: [0.6, 0.7, 0.8], stopAfter: 3 * 7 + 2 }]);
    const s = reduceRunEvents(emptyRunSeries(), ev);
    withSummary(s, { ...doneSummary(), status: 'stopped', teacher: undefined, student: undefined, baseline: undefined, gain: undefined, durationSec: 12 });
    assert.deepEqual(
      partialRows(s).map((r) => [r.label, r.epochsDone, r.epochsPlanned, r.lastVal]),
      [
        ['teacher', 1, 1, 0.9],
        ['distilled student', 3, 200, 0.8],
      ],
    );
    assert.equal(
      headerFacts({ series: s, plan: PLAN }),
      'stopped in distilled student after 3/200 epochs · last validation: distilled student 80.00% · took 0:12 · backend wasm',
    );
  });

  it('the loss toggles are part of the dashboard’s saved UI state', () => {
    const state = parseWebviewUiState({ view: 'dashboard', runId: 'r', runDir: '/r', logScale: true, smooth: false });
    assert.deepEqual(state, { view: 'dashboard', runId: 'r', runDir: '/r', logScale: true, smooth: false });
  });
});
