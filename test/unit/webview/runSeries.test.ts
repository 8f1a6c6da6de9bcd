import * as assert from 'node:assert/strict';
import type { RunEvent, RunSummary } from '../../../src/protocol/events';
import { parseEvents } from '../../../src/protocol/runFolder';
import { baselineName } from '../../../src/protocol/format';
import { currentStage, emptyRunSeries, reduceRunEvents, stageEtaSeconds, teacherAccuracy, withSummary } from '../../../src/protocol/runSeries';

const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();

function runEvents(): RunEvent[] {
  const ev: RunEvent[] = [
    { time: t(0), type: 'run_started', runId: 'r1', runDir: '/x/r1', name: 'mnist', pid: 1, backend: 'wasm', configPath: '/x/kd.json' },
    { time: t(0), type: 'log', level: 'info', message: 'hello' },
    { time: t(0), type: 'stage_started', stage: 'distill', model: 'student', epochs: 2, stepsPerEpoch: 5, params: 100 },
  ];
  for (let step = 1; step <= 10; step++) {
    ev.push({
      time: t(step),
      type: 'step',
      stage: 'distill',
      epoch: step <= 5 ? 1 : 2,
      step,
      totalSteps: 10,
      loss: 2 / step,
      terms: { kd: 1 / step, ce: 3 / step },
      lr: 0.01,
      samplesPerSec: 100,
    });
    if (step === 5)
      ev.push({ time: t(step), type: 'epoch', stage: 'distill', epoch: 1, epochs: 2, loss: 0.6, trainAccuracy: 0.5, valAccuracy: 0.4, seconds: 5 });
  }
  ev.push({ time: t(10), type: 'epoch', stage: 'distill', epoch: 2, epochs: 2, loss: 0.3, trainAccuracy: 0.8, valAccuracy: 0.7, seconds: 5 });
  ev.push({ time: t(10), type: 'stage_done', stage: 'distill', valAccuracy: 0.7, testAccuracy: 0.68 });
  return ev;
}

describe('run series reducer (events → curves)', () => {
  it('folds steps into one series per stage and loss term, and epochs into accuracy columns', () => {
    const s = reduceRunEvents(emptyRunSeries(), runEvents());
    assert.equal(s.name, 'mnist');
    assert.equal(s.backend, 'wasm');
    assert.equal(s.status, 'running');
    assert.deepEqual(Object.keys(s.loss).sort(), ['distill/ce', 'distill/kd', 'distill/total']);
    assert.deepEqual(s.loss['distill/total'].x, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.equal(s.loss['distill/kd'].y[3], 1 / 4);
    assert.deepEqual(s.lr.distill!.y, new Array(10).fill(0.01));
    assert.deepEqual(s.epochs.distill, { epoch: [1, 2], train: [0.5, 0.8], val: [0.4, 0.7], loss: [0.6, 0.3] });
    assert.equal(s.stepCount, 10);
    assert.equal(s.stages.distill!.done, true);
  });

  it('keeps each link of a progressive chain apart (assistant:1, assistant:2), replays included', () => {
    const link = (index: number, from: number): RunEvent[] => [
      {
        time: t(from),
        type: 'stage_started',
        stage: 'assistant',
        model: `assistant_${index}`,
        epochs: 1,
        stepsPerEpoch: 3,
        params: 50,
        assistant: { index, of: 2, description: 'mlp 64' },
      },
      ...[1, 2, 3].map((step): RunEvent => ({
        time: t(from + step),
        type: 'step',
        stage: 'assistant',
        epoch: 1,
        step,
        totalSteps: 3,
        loss: index * 10 + step,
        terms: { kd: step },
        lr: 0.01,
        samplesPerSec: 100,
      })),
      {
        time: t(from + 3),
        type: 'epoch',
        stage: 'assistant',
        epoch: 1,
        epochs: 1,
        loss: index,
        trainAccuracy: 0.5,
        valAccuracy: index === 1 ? 0.5 : 0.6,
        seconds: 3,
      },
      {
        time: t(from + 3),
        type: 'stage_done',
        stage: 'assistant',
        valAccuracy: index === 1 ? 0.5 : 0.6,
        testAccuracy: NaN,
        assistant: { index, model: `assistants/${index}` },
      },
    ];
    const ev = [...link(1, 0), ...link(2, 10)];
    const s = reduceRunEvents(emptyRunSeries(), ev);
    assert.deepEqual(s.stageOrder, ['assistant:1', 'assistant:2']);
    assert.deepEqual(s.loss['assistant:1/total'].y, [11, 12, 13]);
    assert.deepEqual(s.loss['assistant:2/total'].y, [21, 22, 23]);
    assert.deepEqual(s.epochs['assistant:2']!.val, [0.6]);
    assert.equal(s.stageResults['assistant:1']!.valAccuracy, 0.5);
    assert.equal(s.stages['assistant:1']!.done, true);
    assert.equal(s.stages['assistant:2']!.stage, 'assistant');
    // The host folds what is on disk, then the same events arrive live.
    reduceRunEvents(s, ev);
    assert.deepEqual(s.loss['assistant:2/total'].y, [21, 22, 23]);
  });

  it('ignores replays, so disk then live may overlap', () => {
    const ev = runEvents();
    const s = reduceRunEvents(emptyRunSeries(), ev.slice(0, 9));
    reduceRunEvents(s, ev); // everything again, from the start
    const once = reduceRunEvents(emptyRunSeries(), ev);
    assert.deepEqual(s.loss, once.loss);
    assert.deepEqual(s.epochs, once.epochs);
    assert.equal(s.stepCount, once.stepCount);
    assert.equal(s.logs.length, 2, 'log lines are not deduplicated: they have no identity (documented)');
  });

  it('tolerates a torn events.jsonl: the torn line is skipped and the rest plots', () => {
    const lines = runEvents().map((e) => JSON.stringify(e));
    lines[6] = lines[6].slice(0, 20); // torn mid-line
    const text = lines.join('\n') + '\n{"time":"2026-01-01T00:00:1';
    const { events, skipped } = parseEvents(text);
    assert.equal(skipped, 2);
    const s = reduceRunEvents(emptyRunSeries(), events);
    assert.equal(s.loss['distill/total'].x.length, 9);
  });

  it('ignores event types it does not know (a newer engine)', () => {
    const s = reduceRunEvents(emptyRunSeries(), [{ time: t(0), type: 'heartbeat' } as unknown as RunEvent]);
    assert.equal(s.eventCount, 0);
  });

  it('estimates the stage ETA from its own pace', () => {
    const ev = runEvents().filter((e) => !(e.type === 'step' && e.step > 4) && e.type !== 'epoch' && e.type !== 'stage_done');
    const s = reduceRunEvents(emptyRunSeries(), ev);
    const st = currentStage(s);
    assert.equal(st?.step, 4);
    // 4 steps in 4 s → 6 steps left take 6 s.
    assert.equal(stageEtaSeconds(st), 6);
  });

  it('the teacher line comes from the summary when there is one, else the teacher stage', () => {
    const s = reduceRunEvents(emptyRunSeries(), [{ time: t(0), type: 'stage_done', stage: 'teacher', valAccuracy: 0.9, testAccuracy: 0.88 }]);
    assert.deepEqual(teacherAccuracy(s), { value: 0.9, source: 'validation' });
    withSummary(s, {
      status: 'done',
      teacher: { testAccuracy: 0.91, confusion: [], params: 1, bytes: 4, latencyMs: 1, id: 't', ids: ['t'] },
    } as unknown as RunSummary);
    assert.deepEqual(teacherAccuracy(s), { value: 0.91, source: 'test' });
    assert.equal(s.status, 'done');
  });
});

describe('run series: the baseline named before the summary exists', () => {
  it('run_started says where the baseline starts, so a live run from a file’s weights is never called "from scratch"', () => {
    const started: RunEvent = {
      time: t(0),
      type: 'run_started',
      runId: 'r2',
      runDir: '/x/r2',
      name: 'f',
      pid: 1,
      backend: 'wasm',
      configPath: '/x/kd.json',
      baselineStart: 'file',
    };
    const s = reduceRunEvents(emptyRunSeries(), [started]);
    assert.equal(s.baselineStart, 'file');
    assert.equal(baselineName(s.summary ?? s.baselineStart), 'same start, no teacher');
    // An older engine's event says nothing: from scratch, as it always was.
    const old = reduceRunEvents(emptyRunSeries(), [{ ...started, baselineStart: undefined }]);
    assert.equal(baselineName(old.summary ?? old.baselineStart), 'student from scratch');
  });
});
