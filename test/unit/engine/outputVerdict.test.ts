/**
 * The verdict on an extra output (multi-output distillation) knows its noise: the per-sample
 * differences between the distilled student and the baseline on the same test samples give a
 * paired t-interval, and "helped" is said only when it excludes 0 in the metric's good direction.
 */
import { strict as assert } from 'node:assert';
import type { ResolvedOutput } from '../../../src/engine/data/targets';
import { outputSamples, meanIoU } from '../../../src/engine/data/targets';
import { outputResults } from '../../../src/engine/run/outputHeads';
import { studentTQuantile } from '../../../src/protocol/stats/seeds';

const out = (metric: ResolvedOutput['metric'], name = 'h'): ResolvedOutput => ({
  name,
  spec: { target: 'inkBox' } as ResolvedOutput['spec'],
  dim: 4,
  activation: 'sigmoid',
  metric,
  ...(metric === 'iou' ? { builtin: 'inkBox' as const } : {}),
});
const f64 = (...v: number[]) => Float64Array.from(v);

describe('extra outputs: the verdict on a head', () => {
  it('the interval is the paired t-interval of the per-sample differences (closed form)', () => {
    const s = f64(0.9, 0.8, 0.7, 0.95);
    const b = f64(0.8, 0.75, 0.7, 0.8);
    const d = [0.1, 0.05, 0, 0.15];
    const mean = d.reduce((a, x) => a + x, 0) / 4;
    const sd = Math.sqrt(d.reduce((a, x) => a + (x - mean) ** 2, 0) / 3);
    const half = studentTQuantile(0.975, 3) * (sd / 2);
    const r = outputResults([out('iou')], { h: s }, { h: s }, { h: b }).h;
    assert.ok(Math.abs(r.gain! - mean) < 1e-12);
    assert.ok(Math.abs(r.gainInterval95![0] - (mean - half)) < 1e-12 && Math.abs(r.gainInterval95![1] - (mean + half)) < 1e-12);
    assert.equal(r.verdict, mean - half > 0 ? 'better' : 'no measurable difference');
  });

  it('the same mean gain is "better" with small spread and "no measurable difference" with large spread', () => {
    const n = 200;
    const base = new Float64Array(n).fill(0.7);
    const tight = base.map((v, i) => v + 0.02 + (i % 2 ? 0.001 : -0.001));
    const noisy = base.map((v, i) => v + 0.02 + (i % 2 ? 0.3 : -0.3));
    assert.equal(outputResults([out('iou')], { h: base }, { h: tight }, { h: base }).h.verdict, 'better');
    assert.equal(outputResults([out('iou')], { h: base }, { h: noisy }, { h: base }).h.verdict, 'no measurable difference');
  });

  it('lower is better for pixel error and MAE: a larger error is "worse", a smaller one "better"', () => {
    const base = new Float64Array(100).fill(2);
    const larger = base.map((v, i) => v + 0.5 + (i % 2 ? 0.01 : -0.01));
    const smaller = base.map((v, i) => v - 0.5 + (i % 2 ? 0.01 : -0.01));
    for (const metric of ['pixelError', 'mae'] as const) {
      assert.equal(outputResults([out(metric)], { h: base }, { h: larger }, { h: base }).h.verdict, 'worse', metric);
      assert.equal(outputResults([out(metric)], { h: base }, { h: smaller }, { h: base }).h.verdict, 'better', metric);
    }
  });

  it('per-sample IoU averages to the mean IoU, and without a baseline there is no verdict', () => {
    const pred = Float32Array.of(0, 0, 1, 1, 0, 0, 1, 1);
    const truth = Float32Array.of(0, 0, 1, 1, 0, 0, 0.5, 1);
    const samples = outputSamples(out('iou'), pred, truth, [28, 28, 1]);
    assert.deepEqual(Array.from(samples), [1, 0.5]);
    assert.equal((samples[0] + samples[1]) / 2, meanIoU(pred, truth));
    const r = outputResults([out('iou')], { h: samples }, { h: samples }).h;
    assert.equal(r.verdict, undefined);
    assert.equal(r.gain, undefined);
  });
});
