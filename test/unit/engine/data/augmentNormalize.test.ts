/**
 * Normalisation and photo augmentation against closed forms: per-channel statistics from the
 * training split only, given mean/std per channel, float data under "unit"; crop (a shift of
 * the padded image), horizontal flip, and a shift-only batch unchanged from before.
 */
import { strict as assert } from 'node:assert';
import { buildDataset, makeBatch, type Dataset } from '../../../../src/engine/data/dataset';
import type { ImageSet, LoadedSource } from '../../../../src/engine/data/sources';
import { DataSpec } from '../../../../src/protocol/config';
import { mulberry32 } from '../../../../src/engine/util/rng';

/** n 1×2×2 images, label i % 2; channel 0 = i, channel 1 = 100 + 2i (so the statistics are known in closed form). */
function rgbSource(n: number): LoadedSource {
  const images = new Uint8Array(n * 2 * 2);
  for (let i = 0; i < n; i++)
    for (let p = 0; p < 2; p++) {
      images[i * 4 + p * 2] = i;
      images[i * 4 + p * 2 + 1] = 100 + 2 * i;
    }
  const set: ImageSet = { images, labels: Uint8Array.from({ length: n }, (_, i) => i % 2), count: n, height: 1, width: 2, channels: 2 };
  return { train: set, description: 'test' };
}

function meanSd(values: number[]): [number, number] {
  const m = values.reduce((a, b) => a + b, 0) / values.length;
  return [m, Math.sqrt(values.reduce((a, b) => a + (b - m) ** 2, 0) / values.length)];
}

describe('normalisation and augmentation', () => {
  it('"perChannel": each channel standardised by the training split only (validation and test samples do not count)', () => {
    const ds = buildDataset(rgbSource(50), DataSpec.parse({ normalize: 'perChannel' }), 4);
    const trainIdx = Array.from(ds.train.indices);
    for (const ch of [0, 1]) {
      const raw = trainIdx.map((i) => (ch === 0 ? i : 100 + 2 * i) / 255);
      const [m, sd] = meanSd(raw);
      assert.ok(Math.abs(ds.channelScale![ch] - 1 / 255 / sd) < 1e-9, `channel ${ch} scale`);
      assert.ok(Math.abs(ds.channelOffset![ch] + m / sd) < 1e-9, `channel ${ch} offset`);
    }
    const x = makeBatch(ds, ds.train, ds.train.indices).x;
    for (const ch of [0, 1]) {
      const vals = Array.from({ length: x.length / 2 }, (_, k) => x[2 * k + ch]);
      const [m, sd] = meanSd(vals);
      assert.ok(Math.abs(m) < 1e-5 && Math.abs(sd - 1) < 1e-5, `channel ${ch}: mean ${m}, sd ${sd}`);
    }
    // The held-out samples are not standardised to 0/1: they did not shape the statistics.
    const all = buildDataset(rgbSource(50), DataSpec.parse({ normalize: 'perChannel', testSplit: 0, validationSplit: 0 }), 4);
    assert.notEqual(all.channelOffset![0], ds.channelOffset![0]);
  });

  it('a channel constant over the training split keeps its scale (sd 1), so a test value off that constant stays finite', () => {
    const src = rgbSource(50);
    for (let i = 0; i < 50; i++) src.train.images[i * 4] = src.train.images[i * 4 + 2] = 7; // channel 0 always 7
    const ds = buildDataset(src, DataSpec.parse({ normalize: 'perChannel' }), 4);
    assert.ok(Math.abs(ds.channelScale![0] - 1 / 255) < 1e-12, `scale ${ds.channelScale![0]} (was 1/255 / 1e-6)`);
    assert.ok(Math.abs(ds.channelOffset![0] + 7 / 255) < 1e-12);
    // A value of 200 in that channel maps to (200 − 7) / 255, not ~7.6e5.
    assert.ok(Math.abs(200 * ds.channelScale![0] + ds.channelOffset![0] - 193 / 255) < 1e-9);
  });

  it('{ mean, std } per channel in unit-scaled values: x = (v / 255 − mean) / std; one value stands for every channel', () => {
    const src = rgbSource(10);
    const ds = buildDataset(src, DataSpec.parse({ normalize: { mean: [0.5, 0.25], std: [0.5, 0.125] } }), 1);
    const i = ds.train.indices[0];
    const x = makeBatch(ds, ds.train, [i]).x;
    assert.ok(Math.abs(x[0] - (i / 255 - 0.5) / 0.5) < 1e-6);
    assert.ok(Math.abs(x[1] - ((100 + 2 * i) / 255 - 0.25) / 0.125) < 1e-6);
    const one = buildDataset(src, DataSpec.parse({ normalize: { mean: [0.5], std: [2] } }), 1);
    assert.deepEqual(one.channelOffset, [-0.25, -0.25]);
  });

  it('"standard" over every value and "unit" on floats (taken as they are)', () => {
    const floats: LoadedSource = {
      train: {
        images: Float32Array.from({ length: 8 }, (_, k) => k - 3.5),
        labels: Uint8Array.from([0, 1, 0, 1, 0, 1, 0, 1]),
        count: 8,
        height: 1,
        width: 1,
        channels: 1,
      },
      description: 'floats',
    };
    const unit = buildDataset(floats, DataSpec.parse({ testSplit: 0, validationSplit: 0 }), 1);
    assert.deepEqual([unit.scale, unit.offset], [1, 0]);
    const std = buildDataset(floats, DataSpec.parse({ testSplit: 0, validationSplit: 0, normalize: 'standard' }), 1);
    const [m, sd] = meanSd(Array.from(floats.train.images));
    assert.ok(Math.abs(std.scale - 1 / sd) < 1e-9 && Math.abs(std.offset + m / sd) < 1e-9);
  });

  const square = (side: number): Dataset => {
    const images = Uint8Array.from({ length: side * side }, (_, k) => k + 1);
    const set: ImageSet = { images, labels: new Uint8Array(1), count: 1, height: side, width: side, channels: 1 };
    const split = { set, indices: Uint32Array.from([0]) };
    return { train: split, val: split, test: split, numClasses: 2, shape: [side, side, 1], scale: 1, offset: 0, dataClasses: [0] };
  };

  it('flip mirrors each row; crop with padding p is the image moved by up to p, zero-filled; both draw from the step stream', () => {
    const ds = square(4);
    const img = (x: Float32Array) => Array.from({ length: 4 }, (_, r) => Array.from(x.subarray(r * 4, r * 4 + 4)));
    // Find a seed whose one draw flips (rng() < 0.5), and one whose does not.
    const draws = (seed: number) => mulberry32(seed)();
    const flipSeed = [1, 2, 3, 4, 5].find((s) => draws(s) < 0.5)!;
    const keepSeed = [1, 2, 3, 4, 5].find((s) => draws(s) >= 0.5)!;
    const flipped = img(makeBatch(ds, ds.train, [0], { shift: 0, flip: true }, mulberry32(flipSeed)).x);
    assert.deepEqual(flipped[0], [4, 3, 2, 1]);
    assert.deepEqual(flipped[3], [16, 15, 14, 13]);
    assert.deepEqual(img(makeBatch(ds, ds.train, [0], { shift: 0, flip: true }, mulberry32(keepSeed)).x)[0], [1, 2, 3, 4]);
    // crop 1: dx, dy each in {-1, 0, 1}, from two draws.
    for (const seed of [7, 8, 9, 10, 11, 12]) {
      const r = mulberry32(seed);
      const dx = Math.floor(r() * 3) - 1;
      const dy = Math.floor(r() * 3) - 1;
      const got = img(makeBatch(ds, ds.train, [0], { shift: 0, crop: 1 }, mulberry32(seed)).x);
      for (let y = 0; y < 4; y++)
        for (let x = 0; x < 4; x++) {
          const sy = y - dy;
          const sx = x - dx;
          assert.equal(got[y][x], sy < 0 || sy > 3 || sx < 0 || sx > 3 ? 0 : sy * 4 + sx + 1, `seed ${seed} (${dx}, ${dy}) at ${y},${x}`);
        }
    }
  });

  it('augment as a number (a shift) and as { shift } draw and fill the same', () => {
    const ds = square(5);
    const a = makeBatch(ds, ds.train, [0, 0, 0], 2, mulberry32(3)).x;
    const b = makeBatch(ds, ds.train, [0, 0, 0], { shift: 2, crop: 0, flip: false }, mulberry32(3)).x;
    assert.deepEqual(Array.from(a), Array.from(b));
  });
});
