/**
 * Splits, normalisation and batches. Indices are shuffled once by seed to form the splits,
 * and again every epoch (by seed and epoch) for the training order, so that the distilled
 * student and its from-scratch baseline see exactly the same samples in the same order.
 */
import type { DataSpec } from '../../protocol/config';
import { deriveSeed, mulberry32, shuffleInPlace, type Rng } from '../util/rng';
import type { ImageSet, LoadedSource } from './sources';

export interface Split {
  set: ImageSet;
  indices: Uint32Array;
}

export interface Dataset {
  train: Split;
  val: Split;
  test: Split;
  numClasses: number;
  shape: [number, number, number];
  /** x = pixel * scale + offset */
  scale: number;
  offset: number;
  /** Samples of the set from this index on are unlabeled images (data.unlabeledImages), all in the training split. */
  unlabeledFrom?: number;
}

export function buildDataset(source: LoadedSource, spec: DataSpec, seed: number): Dataset {
  const train = withUnlabeled(source.train, source.unlabeled);
  const all = Uint32Array.from({ length: train.count }, (_, i) => i);
  shuffleInPlace(all, mulberry32(deriveSeed(seed, 'split')));
  const pool = spec.limit ? all.subarray(0, Math.min(spec.limit, all.length)) : all;

  let testSplit: Split;
  let rest: Uint32Array;
  if (source.test) {
    const testIdx = Uint32Array.from({ length: source.test.count }, (_, i) => i);
    testSplit = { set: source.test, indices: spec.limit ? testIdx.subarray(0, Math.min(testIdx.length, Math.ceil(spec.limit * spec.testSplit) || testIdx.length)) : testIdx };
    rest = pool;
  } else {
    const nTest = Math.round(pool.length * spec.testSplit);
    testSplit = { set: train, indices: pool.subarray(0, nTest) };
    rest = pool.subarray(nTest);
  }
  const nVal = Math.round(rest.length * spec.validationSplit);
  const val: Split = { set: train, indices: rest.subarray(0, nVal) };
  const extra = source.unlabeled ? Uint32Array.from({ length: source.unlabeled.count }, (_, i) => source.train.count + i) : new Uint32Array(0);
  const trn: Split = { set: train, indices: concat(rest.subarray(nVal), extra) };
  if (trn.indices.length === 0) throw new Error('the training split is empty: use more data or smaller validation/test splits');

  let maxLabel = 0;
  for (const s of [trn, val, testSplit]) for (const i of s.indices) maxLabel = Math.max(maxLabel, s.set.labels[i]);
  const numClasses = Math.max(2, maxLabel + 1);

  let scale = 1 / 255;
  let offset = 0;
  if (spec.normalize === 'standard') {
    const { mean, std } = pixelStats(trn);
    scale = 1 / (255 * std);
    offset = -mean / std;
  }
  return { train: trn, val, test: testSplit, numClasses, shape: [train.height, train.width, train.channels], scale, offset, ...(source.unlabeled ? { unlabeledFrom: source.train.count } : {}) };
}

/** The labeled set with the unlabeled images appended (labels 0, masked out in training). */
function withUnlabeled(labeled: ImageSet, unlabeled: ImageSet | undefined): ImageSet {
  if (!unlabeled) return labeled;
  const images = new Uint8Array(labeled.images.length + unlabeled.images.length);
  images.set(labeled.images);
  images.set(unlabeled.images, labeled.images.length);
  const labels = new Uint8Array(labeled.count + unlabeled.count);
  labels.set(labeled.labels);
  return { ...labeled, images, labels, count: labeled.count + unlabeled.count };
}

function concat(a: Uint32Array, b: Uint32Array): Uint32Array {
  if (!b.length) return a;
  const out = new Uint32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function pixelStats(split: Split): { mean: number; std: number } {
  const px = split.set.height * split.set.width * split.set.channels;
  let sum = 0;
  let sq = 0;
  for (const i of split.indices) {
    const base = i * px;
    for (let p = 0; p < px; p++) {
      const v = split.set.images[base + p] / 255;
      sum += v;
      sq += v * v;
    }
  }
  const n = split.indices.length * px;
  const mean = sum / n;
  return { mean, std: Math.sqrt(Math.max(sq / n - mean * mean, 1e-12)) };
}

/** The training order of one epoch: the same for every stage that trains on these data. */
export function epochOrder(split: Split, seed: number, epoch: number): Uint32Array {
  const order = Uint32Array.from(split.indices);
  shuffleInPlace(order, mulberry32(deriveSeed(seed, `order:${epoch}`)));
  return order;
}

export interface Batch {
  x: Float32Array;
  y: Int32Array;
  size: number;
}

/**
 * Fills one float batch from uint8 storage. With `shift > 0`, each image moves by a random
 * (dx, dy) in [-shift, shift], zero-filled: the teacher and the student get this same array.
 */
export function makeBatch(ds: Dataset, split: Split, indices: ArrayLike<number>, shift = 0, rng?: Rng): Batch {
  const [h, w, c] = ds.shape;
  const px = h * w * c;
  const size = indices.length;
  const x = new Float32Array(size * px);
  const y = new Int32Array(size);
  const { scale, offset } = ds;
  const images = split.set.images;
  for (let b = 0; b < size; b++) {
    const src = indices[b] * px;
    const dst = b * px;
    y[b] = split.set.labels[indices[b]];
    if (shift > 0 && rng) {
      const dx = Math.floor(rng() * (2 * shift + 1)) - shift;
      const dy = Math.floor(rng() * (2 * shift + 1)) - shift;
      x.fill(offset, dst, dst + px);
      for (let r = 0; r < h; r++) {
        const sr = r - dy;
        if (sr < 0 || sr >= h) continue;
        for (let col = 0; col < w; col++) {
          const sc = col - dx;
          if (sc < 0 || sc >= w) continue;
          for (let ch = 0; ch < c; ch++) x[dst + (r * w + col) * c + ch] = images[src + (sr * w + sc) * c + ch] * scale + offset;
        }
      }
    } else {
      for (let p = 0; p < px; p++) x[dst + p] = images[src + p] * scale + offset;
    }
  }
  return { x, y, size };
}
