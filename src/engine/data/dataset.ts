/**
 * Splits, normalisation and batches. Indices are shuffled once by seed and the splits drawn
 * from that order class by class (stratified.ts); the training split is shuffled again every
 * epoch (by seed and epoch), so that the distilled student and its baseline see exactly the
 * same samples in the same order. Unlabeled images are never split: they join training once.
 */
import type { DataSpec } from '../../protocol/config';
import { deriveSeed, mulberry32, shuffleInPlace, type Rng } from '../util/rng';
import type { ImageSet, LoadedSource } from './sources';
import { classCounts, stratifiedTake } from './stratified';

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
  /** The classes the labelled data holds (training and test files), whether or not every subset holds them. */
  dataClasses: number[];
}

/**
 * Names the rule that draws the splits from a data spec and a seed. Whatever is keyed by the
 * spec rather than by the samples themselves (a teacher's save folder, teachers.ts) names it
 * too: change it with the rule, so that a teacher trained on other samples is not reused.
 */
export const SPLIT_RULE = 'stratified-1';

export function buildDataset(source: LoadedSource, spec: DataSpec, seed: number): Dataset {
  const train = withUnlabeled(source.train, source.unlabeled);
  // Only the labelled samples are split: unlabeled images have no label to score, and join training once, below.
  const all = Uint32Array.from({ length: source.train.count }, (_, i) => i);
  shuffleInPlace(all, mulberry32(deriveSeed(seed, 'split')));
  const pool = spec.limit ? stratifiedTake(all, train.labels, spec.limit).taken : all;

  let testSplit: Split;
  let rest: Uint32Array;
  if (source.test) {
    const testSet = source.test;
    const testIdx = Uint32Array.from({ length: testSet.count }, (_, i) => i);
    const nTest = spec.limit ? Math.min(testIdx.length, Math.ceil(spec.limit * spec.testSplit) || testIdx.length) : testIdx.length;
    if (nTest < testIdx.length) shuffleInPlace(testIdx, mulberry32(deriveSeed(seed, 'split:test')));
    testSplit = { set: testSet, indices: stratifiedTake(testIdx, testSet.labels, nTest).taken };
    rest = pool;
  } else {
    const drawn = stratifiedTake(pool, train.labels, Math.round(pool.length * spec.testSplit));
    testSplit = { set: train, indices: drawn.taken };
    rest = drawn.rest;
  }
  const drawn = stratifiedTake(rest, train.labels, Math.round(rest.length * spec.validationSplit));
  const val: Split = { set: train, indices: drawn.taken };
  const extra = source.unlabeled ? Uint32Array.from({ length: source.unlabeled.count }, (_, i) => source.train.count + i) : new Uint32Array(0);
  const trn: Split = { set: train, indices: concat(drawn.rest, extra) };
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
  const dataClasses = [...new Set([...source.train.labels, ...(source.test?.labels ?? [])])].sort((a, b) => a - b);
  return {
    train: trn,
    val,
    test: testSplit,
    numClasses,
    shape: [train.height, train.width, train.channels],
    scale,
    offset,
    dataClasses,
    ...(source.unlabeled ? { unlabeledFrom: source.train.count } : {}),
  };
}

/** The labelled samples of a split (a training split also holds the unlabeled images, whose labels read 0). */
function labelled(ds: Dataset, split: Split): Uint32Array {
  return ds.unlabeledFrom === undefined || split.set !== ds.train.set ? split.indices : split.indices.filter((i) => i < ds.unlabeledFrom!);
}

/** The split sizes for the run log; they add up to the inputs: "432 train + 1800 unlabeled images / 48 validation / 120 test". */
export function describeSplits(ds: Dataset): string {
  const unlabeled = ds.train.indices.length - labelled(ds, ds.train).length;
  return `${ds.train.indices.length - unlabeled} train${unlabeled ? ` + ${unlabeled} unlabeled images` : ''} / ${ds.val.indices.length} validation / ${ds.test.indices.length} test`;
}

/**
 * One warning per non-empty subset that lacks a class the data has (too few samples of it
 * for its share), with how many of each class the subset holds.
 */
export function splitWarnings(ds: Dataset): string[] {
  const out: string[] = [];
  const classes = Math.max(ds.numClasses, ...ds.dataClasses.map((c) => c + 1));
  for (const [name, split] of [
    ['training', ds.train],
    ['validation', ds.val],
    ['test', ds.test],
  ] as const) {
    const indices = labelled(ds, split);
    if (!indices.length) continue;
    const counts = classCounts(indices, split.set.labels, classes);
    const missing = ds.dataClasses.filter((c) => counts[c] === 0);
    if (!missing.length) continue;
    const held = ds.dataClasses.map((c) => `${c}: ${counts[c]}`).join(', ');
    out.push(
      `the ${name} split (${indices.length} samples) lacks class${missing.length > 1 ? 'es' : ''} ${missing.join(', ')} of the ${ds.dataClasses.length} the data has; it holds ${held}`,
    );
  }
  return out;
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
