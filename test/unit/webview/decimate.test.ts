import * as assert from 'node:assert/strict';
import { lttb, minMaxBuckets } from '../../../webview/lib/decimate';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('webview decimation', () => {
  it('LTTB returns the series unchanged when it fits the budget', () => {
    const xs = range(10);
    const ys = xs.map((x) => x * x);
    assert.deepEqual(
      lttb(xs, ys, 10),
      xs.map((x) => ({ x, y: x * x })),
    );
    assert.equal(lttb(xs, ys, 100).length, 10);
  });

  it('LTTB keeps exactly `threshold` points, the first and the last, in x order', () => {
    const xs = range(100_000);
    const ys = xs.map((x) => Math.sin(x / 500));
    const out = lttb(xs, ys, 1000);
    assert.equal(out.length, 1000);
    assert.deepEqual(out[0], { x: 0, y: 0 });
    assert.equal(out.at(-1)!.x, 99_999);
    for (let i = 1; i < out.length; i++) assert.ok(out[i].x > out[i - 1].x, 'strictly increasing x');
  });

  it('LTTB keeps a single spike that averaging would flatten', () => {
    const xs = range(10_000);
    const ys = xs.map((x) => (x === 5_123 ? 50 : 1));
    const out = lttb(xs, ys, 100);
    assert.ok(
      out.some((p) => p.x === 5_123 && p.y === 50),
      'the spike survives',
    );
  });

  it('LTTB on a straight line picks points on that line', () => {
    const xs = range(1000);
    const out = lttb(
      xs,
      xs.map((x) => 2 * x + 1),
      50,
    );
    for (const p of out) assert.equal(p.y, 2 * p.x + 1);
  });

  it('LTTB with a tiny budget returns the ends', () => {
    assert.deepEqual(lttb([0, 1, 2, 3], [5, 6, 7, 8], 2), [
      { x: 0, y: 5 },
      { x: 3, y: 8 },
    ]);
    assert.deepEqual(lttb([0, 1, 2], [1, 2, 3], 0), []);
  });

  it('min/max bucketing keeps every bucket extreme and at most 2 per bucket (+ the last point)', () => {
    const xs = range(10_000);
    const ys = xs.map((x) => ((x * 7919) % 101) - 50);
    const out = minMaxBuckets(xs, ys, 100);
    assert.ok(out.length <= 201);
    assert.equal(Math.max(...out.map((p) => p.y)), 50);
    assert.equal(Math.min(...out.map((p) => p.y)), -50);
    for (let b = 0; b < 100; b++) {
      const slice = ys.slice(b * 100, (b + 1) * 100);
      const inBucket = out.filter((p) => p.x >= b * 100 && p.x < (b + 1) * 100).map((p) => p.y);
      assert.ok(inBucket.includes(Math.max(...slice)) && inBucket.includes(Math.min(...slice)), `bucket ${b}`);
    }
  });
});
