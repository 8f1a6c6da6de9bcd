import { strict as assert } from 'node:assert';
import type { RunSummary } from '../../../src/protocol/events';
import { baselineName, outputLines, resultsTable, verdict } from '../../../src/protocol/format';

const result = (testAccuracy: number) => ({ testAccuracy, confusion: [], params: 1000, bytes: 4000, latencyMs: 0.1 });
const summary = (extra: Partial<RunSummary> = {}): RunSummary => ({
  runId: 'r', name: 'n', status: 'done', backend: 'wasm', startedAt: '', endedAt: '', durationSec: 1, configPath: '/k.json', numClasses: 10, testSamples: 100,
  teacher: { ...result(0.98), id: 't', ids: ['t'] }, student: result(0.9), baseline: result(0.92), gain: -0.02, ...extra,
});

describe('result texts (CLI table, output channel, dashboard card)', () => {
  it('the verdict says honestly when distillation did worse, with the points', () => {
    assert.equal(verdict(summary()), 'distillation did worse than the same student trained from scratch: 90.00% vs 92.00% (−2.00 pts)');
    assert.match(verdict(summary({ student: result(0.95), gain: 0.03 })), /^distillation beat .*\(\+3\.00 pts\)$/);
  });

  it('an IoU output: higher is better, and the verdict follows the sign', () => {
    const s = summary({ outputs: { box: { target: 'inkBox', metric: 'iou', teacher: 0.72, student: 0.75, baseline: 0.7 } } });
    assert.deepEqual(outputLines(s), ['output "box" (inkBox, mean IoU, higher is better): teacher 0.720, from scratch 0.700, distilled 0.750; distillation helped (+0.050)']);
    assert.ok(resultsTable(s).includes('output "box"'));
  });

  it('a pixel-error output: lower is better, so a larger error did not help', () => {
    const s = summary({ outputs: { centre: { target: 'inkCentre', metric: 'pixelError', teacher: 1.2, student: 1.9, baseline: 1.5 } } });
    assert.deepEqual(outputLines(s), ['output "centre" (inkCentre, mean error, lower is better): teacher 1.20 px, from scratch 1.50 px, distilled 1.90 px; distillation did not help (+0.40 px)']);
  });

  it('the table has a column per output, the metric of each model in it; the verdict uses the stored gain', () => {
    const s = summary({ outputs: { box: { target: 'inkBox', metric: 'iou', teacher: 0.82, student: 0.754, baseline: 0.7301, gain: 0.0239 } } });
    const lines = resultsTable(s).split('\n');
    assert.match(lines[0], /^model +test accuracy  box IoU  params/);
    assert.match(lines.find((l) => l.startsWith('teacher (t)'))!, /98\.00%    0\.820  /);
    assert.match(lines.find((l) => l.startsWith('student from scratch'))!, /92\.00%    0\.730  /);
    assert.match(lines.find((l) => l.startsWith('distilled student'))!, /90\.00%    0\.754  /);
    assert.equal(lines.at(-1), 'output "box" (inkBox, mean IoU, higher is better): teacher 0.820, from scratch 0.730, distilled 0.754; distillation helped (+0.024)');
  });

  it('a file target: mean absolute error, lower is better', () => {
    const s = summary({ outputs: { ink: { target: 'ink.idx', metric: 'mae', teacher: 0.0123, student: 0.0201, baseline: 0.0251, gain: -0.005 } } });
    assert.deepEqual(outputLines(s), ['output "ink" (ink.idx, mean absolute error, lower is better): teacher 0.0123, from scratch 0.0251, distilled 0.0201; distillation helped (−0.00500)']);
    assert.match(resultsTable(s).split('\n')[0], / ink MAE /);
  });

  it('no outputs, no lines; no baseline, no verdict on the output', () => {
    assert.deepEqual(outputLines(summary()), []);
    assert.deepEqual(outputLines(summary({ outputs: { box: { target: 'inkBox', metric: 'iou', teacher: 0.7, student: 0.6 } } })), ['output "box" (inkBox, mean IoU, higher is better): teacher 0.700, from scratch —, distilled 0.600']);
  });

  it('a baseline that started from a model file\'s weights is called what it is, never "from scratch"', () => {
    const s = summary({ baseline: { ...result(0.92), start: 'file' }, outputs: { box: { target: 'inkBox', metric: 'iou', teacher: 0.72, student: 0.75, baseline: 0.7 } } });
    const text = [verdict(s), resultsTable(s), ...outputLines(s)].join('\n');
    assert.ok(!/scratch/.test(text), text);
    assert.equal(verdict(s), 'distillation did worse than the same student from the same start with no teacher: 90.00% vs 92.00% (−2.00 pts)');
    assert.match(resultsTable(s), /^same start, no teacher +92\.00%/m);
    assert.match(outputLines(s)[0], /teacher 0\.720, same start, no teacher 0\.700, distilled/);
    // Summaries written before `start` existed, and fresh starts, read "from scratch".
    assert.equal(baselineName(summary()), 'student from scratch');
    assert.equal(baselineName(summary({ baseline: { ...result(0.92), start: 'scratch' } }), 'short'), 'scratch');
  });
});
