import { strict as assert } from 'node:assert';
import type { RunSummary, Significance } from '../../../src/protocol/events';
import {
  baselineName,
  EXPORT_HEADER,
  exportCells,
  exportRows,
  outputLines,
  resultsTable,
  runFinishedMessage,
  shortVerdict,
  verdict,
} from '../../../src/protocol/format';

const result = (testAccuracy: number) => ({ testAccuracy, confusion: [], params: 1000, bytes: 4000, latencyMs: 0.1 });
const sig = (interval95: [number, number], pValue: number, discordant: [number, number]): Significance => ({
  test: 'mcnemar',
  discordant,
  pValue,
  interval95,
  method: 'Newcombe',
  verdict: interval95[0] > 0 ? 'better' : interval95[1] < 0 ? 'worse' : 'no measurable difference',
});
const summary = (extra: Partial<RunSummary> = {}): RunSummary => ({
  runId: 'r',
  name: 'n',
  status: 'done',
  backend: 'wasm',
  startedAt: '',
  endedAt: '',
  durationSec: 1,
  configPath: '/k.json',
  numClasses: 10,
  testSamples: 100,
  teacher: { ...result(0.98), id: 't', ids: ['t'] },
  student: result(0.9),
  baseline: result(0.92),
  gain: -0.02,
  ...extra,
});

describe('result texts (CLI table, output channel, dashboard card)', () => {
  it('the verdict says "no measurable difference" when the paired interval contains 0, with the interval and McNemar p', () => {
    const s = summary({ student: result(0.9245), baseline: result(0.938), gain: -0.0135, significance: sig([-0.0291, 0.0021], 0.0912, [20, 34]) });
    assert.equal(
      verdict(s),
      'distillation: no measurable difference from the same student trained from scratch: 92.45% vs 93.80% (−1.35 pts, 95 % CI −2.9 to +0.2; McNemar p = 0.09)',
    );
  });

  it('"beat" and "did worse than" only when the interval excludes 0', () => {
    assert.equal(
      verdict(summary({ significance: sig([-0.031, -0.009], 0.0004, [10, 30]) })),
      'distillation did worse than the same student trained from scratch: 90.00% vs 92.00% (−2.00 pts, 95 % CI −3.1 to −0.9; McNemar p < 0.001)',
    );
    assert.equal(
      verdict(summary({ student: result(0.95), gain: 0.03, significance: sig([0.0004, 0.052], 0.0081, [40, 10]) })),
      'distillation beat the same student trained from scratch: 95.00% vs 92.00% (+3.00 pts, 95 % CI +0.04 to +5.20; McNemar p = 0.008)',
    );
  });

  it('a summary without the paired test makes no claim: the difference only', () => {
    assert.equal(
      verdict(summary()),
      "distillation vs the same student trained from scratch: 90.00% vs 92.00% (−2.00 pts; no significance test in this run's summary)",
    );
  });

  it('the notification and the sidebar say the same verdict words, with the interval', () => {
    const s = summary({ student: result(0.9612), baseline: result(0.9421), gain: 0.0191, significance: sig([0.0052, 0.0331], 0.01, [30, 11]) });
    assert.equal(runFinishedMessage(s), `n: done in 0:01 — ${verdict(s)}`);
    assert.match(
      runFinishedMessage(s),
      /— distillation beat the same student trained from scratch: 96\.12% vs 94\.21% \(\+1\.91 pts, 95 % CI \+0\.5 to \+3\.3; McNemar p = 0\.01\)$/,
    );
    assert.equal(shortVerdict(s), '96.12% vs 94.21% scratch (+1.91 pts, 95 % CI +0.5 to +3.3): better');
    assert.equal(
      shortVerdict(summary({ significance: sig([-0.05, 0.01], 0.3, [5, 9]) })),
      '90.00% vs 92.00% scratch (−2.00 pts, 95 % CI −5.0 to +1.0): no measurable difference',
    );
    assert.equal(shortVerdict(summary()), '90.00% vs 92.00% scratch (−2.00 pts)');
  });

  it('a student larger than its teacher has "3.3× more parameters", not "0.3× fewer"', () => {
    const s = summary({ compression: 0.3, agreement: 0.9 });
    assert.match(resultsTable(s), /^compression: 3\.3× more parameters than the teacher[,;]/m);
    assert.match(resultsTable(summary({ compression: 16.6, agreement: 0.9 })), /^compression: 16\.6× fewer parameters than the teacher[,;]/m);
  });

  it('the size column is the saved files where the model was saved, params × 4 marked as such where not', () => {
    const s = summary({
      teacher: { ...result(0.98), id: 't', ids: ['t'], bytes: 1_686_400, savedBytes: 1_712_035 },
      student: { ...result(0.9), bytes: 101_800, savedBytes: 104_960 },
      baseline: { ...result(0.92), bytes: 101_800 },
      compression: 16.6,
    });
    const lines = resultsTable(s).split('\n');
    assert.match(
      lines.find((l) => l.startsWith('teacher (t)'))!,
      / 1\.63 MB /,
    );
    assert.match(
      lines.find((l) => l.startsWith('distilled student'))!,
      / 102\.5 KB /,
    );
    assert.match(
      lines.find((l) => l.startsWith('student from scratch'))!,
      / 99\.4 KB\* /,
    );
    assert.ok(lines.some((l) => l.includes('* not saved: float32 weights, params × 4')));
    assert.match(
      lines.find((l) => l.startsWith('compression:'))!,
      /16\.6× fewer parameters than the teacher, 16\.3× smaller on disk/,
    );
  });

  it('latency: median and interquartile range at batch 1 and per sample at the batch; ×faster, or "within noise" when the ranges overlap', () => {
    const lat = (m1: number, q1: [number, number], mb: number, qb: [number, number]) => ({
      batch1: { medianMs: m1, q1Ms: q1[0], q3Ms: q1[1], repetitions: 50 },
      batch: { medianMs: mb, q1Ms: qb[0], q3Ms: qb[1], repetitions: 9, size: 128 },
    });
    const s = summary({
      teacher: { ...result(0.98), id: 't', ids: ['t'], latencyMs: 0.434, latency: lat(0.434, [0.421, 0.45], 0.08, [0.078, 0.083]) },
      student: { ...result(0.9), latencyMs: 0.038, latency: lat(0.038, [0.036, 0.041], 0.075, [0.07, 0.079]) },
      baseline: { ...result(0.92), latencyMs: 0.039, latency: lat(0.039, [0.037, 0.042], 0.074, [0.07, 0.078]) },
      compression: 16.6,
      agreement: 0.9275,
    });
    const lines = resultsTable(s).split('\n');
    assert.match(lines[0], / latency, batch 1 +per sample, batch 128$/);
    assert.match(
      lines.find((l) => l.startsWith('teacher (t)'))!,
      /0\.434 ms \(0\.421–0\.450\) {2}0\.080 ms \(0\.078–0\.083\)$/,
    );
    assert.equal(
      lines.find((l) => l.startsWith('compression:')),
      "compression: 16.6× fewer parameters than the teacher, 11.4× faster at batch 1, latency within noise of the teacher's per sample at batch 128; teacher–student agreement 92.75%",
    );
    // Runs from before the spread was measured: the single number, no noise claim.
    const old = resultsTable(summary({ compression: 2, teacher: { ...result(0.98), id: 't', ids: ['t'], latencyMs: 0.2 } }));
    assert.match(old, /^compression: 2\.0× fewer parameters than the teacher, 2\.0× faster at batch 1;/m);
  });

  it('an IoU output: higher is better, and the verdict follows the sign', () => {
    const s = summary({
      outputs: { box: { target: 'inkBox', metric: 'iou', teacher: 0.72, student: 0.75, baseline: 0.7, gainInterval95: [0.03, 0.07], verdict: 'better' } },
    });
    assert.deepEqual(outputLines(s), [
      'output "box" (inkBox, mean IoU, higher is better): teacher 0.720, from scratch 0.700, distilled 0.750; distillation helped (+0.050, 95 % CI +0.030 to +0.070)',
    ]);
    // An interval that holds 0 is no claim, whatever the sign of the difference.
    const noise = summary({
      outputs: {
        box: {
          target: 'inkBox',
          metric: 'iou',
          teacher: 0.72,
          student: 0.75,
          baseline: 0.7,
          gainInterval95: [-0.01, 0.11],
          verdict: 'no measurable difference',
        },
      },
    });
    assert.match(outputLines(noise)[0], /; distillation: no measurable difference \(\+0\.050, 95 % CI −0\.010 to \+0\.110\)$/);
    assert.ok(resultsTable(s).includes('output "box"'));
  });

  it('a pixel-error output: lower is better, so a larger error did not help', () => {
    const s = summary({
      outputs: {
        centre: { target: 'inkCentre', metric: 'pixelError', teacher: 1.2, student: 1.9, baseline: 1.5, gainInterval95: [0.2, 0.6], verdict: 'worse' },
      },
    });
    assert.deepEqual(outputLines(s), [
      'output "centre" (inkCentre, mean error, lower is better): teacher 1.20 px, from scratch 1.50 px, distilled 1.90 px; distillation made it worse (+0.40 px, 95 % CI +0.20 px to +0.60 px)',
    ]);
  });

  it('the table has a column per output, the metric of each model in it; the verdict uses the stored gain', () => {
    const s = summary({ outputs: { box: { target: 'inkBox', metric: 'iou', teacher: 0.82, student: 0.754, baseline: 0.7301, gain: 0.0239 } } });
    const lines = resultsTable(s).split('\n');
    assert.match(lines[0], /^model +test accuracy {2}box IoU {2}params/);
    assert.match(
      lines.find((l) => l.startsWith('teacher (t)'))!,
      /98\.00% {4}0\.820 {2}/,
    );
    assert.match(
      lines.find((l) => l.startsWith('student from scratch'))!,
      /92\.00% {4}0\.730 {2}/,
    );
    assert.match(
      lines.find((l) => l.startsWith('distilled student'))!,
      /90\.00% {4}0\.754 {2}/,
    );
    // A summary from before the paired interval: the difference, no claim.
    assert.equal(
      lines.at(-1),
      'output "box" (inkBox, mean IoU, higher is better): teacher 0.820, from scratch 0.730, distilled 0.754; distilled − scratch: +0.024 (no interval in this run\'s summary)',
    );
  });

  it('a file target: mean absolute error, lower is better', () => {
    const s = summary({
      outputs: {
        ink: {
          target: 'ink.idx',
          metric: 'mae',
          teacher: 0.0123,
          student: 0.0201,
          baseline: 0.0251,
          gain: -0.005,
          gainInterval95: [-0.008, -0.002],
          verdict: 'better',
        },
      },
    });
    assert.deepEqual(outputLines(s), [
      'output "ink" (ink.idx, mean absolute error, lower is better): teacher 0.0123, from scratch 0.0251, distilled 0.0201; distillation helped (−0.00500, 95 % CI −0.00800 to −0.00200)',
    ]);
    assert.match(resultsTable(s).split('\n')[0], / ink MAE /);
  });

  it('no outputs, no lines; no baseline, no verdict on the output', () => {
    assert.deepEqual(outputLines(summary()), []);
    assert.deepEqual(outputLines(summary({ outputs: { box: { target: 'inkBox', metric: 'iou', teacher: 0.7, student: 0.6 } } })), [
      'output "box" (inkBox, mean IoU, higher is better): teacher 0.700, from scratch —, distilled 0.600',
    ]);
  });

  it('a baseline that started from a model file\'s weights is called what it is, never "from scratch"', () => {
    const s = summary({
      baseline: { ...result(0.92), start: 'file' },
      outputs: { box: { target: 'inkBox', metric: 'iou', teacher: 0.72, student: 0.75, baseline: 0.7 } },
    });
    const text = [verdict(s), resultsTable(s), ...outputLines(s)].join('\n');
    assert.ok(!/scratch/.test(text), text);
    assert.equal(
      verdict(s),
      "distillation vs the same student from the same start with no teacher: 90.00% vs 92.00% (−2.00 pts; no significance test in this run's summary)",
    );
    assert.equal(
      verdict({ ...s, significance: sig([-0.03, -0.01], 0.004, [5, 15]) }),
      'distillation did worse than the same student from the same start with no teacher: 90.00% vs 92.00% (−2.00 pts, 95 % CI −3.0 to −1.0; McNemar p = 0.004)',
    );
    assert.match(resultsTable(s), /^same start, no teacher +92\.00%/m);
    assert.match(outputLines(s)[0], /teacher 0\.720, same start, no teacher 0\.700, distilled/);
    // Summaries written before `start` existed, and fresh starts, read "from scratch".
    assert.equal(baselineName(summary()), 'student from scratch');
    assert.equal(baselineName(summary({ baseline: { ...result(0.92), start: 'scratch' } }), 'short'), 'scratch');
  });
});

describe('format: exported forms (distill export), one set of cells for the CLI report and the results card', () => {
  const onnx = {
    format: 'onnx',
    path: '/r/exports/student.onnx',
    bytes: 52_224,
    accuracy: 0.78,
    floatAccuracy: 0.78,
    maxAbsDiff: 3.3e-6,
    testSamples: 600,
    layout: 'nchw',
    ortLatencyMs: 0.0853,
    time: '2026-12-02T01:00:00Z',
  } as const;
  const uint8 = {
    format: 'uint8',
    path: '/r/exports/uint8',
    bytes: 15_974,
    accuracy: 0.7867,
    floatAccuracy: 0.78,
    maxAbsDiff: 0.027,
    testSamples: 600,
    time: '2026-12-02T01:00:00Z',
  } as const;

  it('gives each record its form, size, accuracies, logit difference and ORT latency, in the header order', () => {
    assert.deepEqual(EXPORT_HEADER, ['form', 'size', 'accuracy', 'float accuracy', 'max |Δlogit|', 'ORT latency (batch 1)', 'file']);
    assert.deepEqual(exportCells([onnx, uint8]), [
      ['ONNX (NCHW)', '51.0 KB', '78.00%', '78.00%', '3.3e-6', '0.085 ms', '/r/exports/student.onnx'],
      ['tfjs uint8', '15.6 KB', '78.67%', '78.00%', '2.7e-2', '—', '/r/exports/uint8'],
    ]);
  });

  it('the CLI rows are those cells aligned under the header', () => {
    const rows = exportRows([onnx, uint8]);
    assert.equal(rows.length, 4);
    assert.match(rows[0], /^form\s+size\s+accuracy\s+float accuracy\s+max \|Δlogit\|\s+ORT latency \(batch 1\)\s+file$/);
    assert.match(rows[2], /^ONNX \(NCHW\)\s+51\.0 KB\s+78\.00%\s+78\.00%\s+3\.3e-6\s+0\.085 ms\s+\/r\/exports\/student\.onnx$/);
    assert.equal(new Set(rows.map((r) => r.indexOf('KB'))).size, 2, 'sizes right-aligned: both end in the same column');
  });
});
