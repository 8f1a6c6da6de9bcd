/**
 * Splits, normalisation and batches. Indices are shuffled once by seed and the splits drawn
 * from that order class by class (stratified.ts); the training split is shuffled again every
 * epoch (by seed and epoch), so that the distilled student and its baseline see exactly the
 * same samples in the same order. Unlabeled images are never split: they join training once.
 */
import type { DataSpec, NormalizeSpec } from '../../protocol/config';
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
  /** Per channel instead (normalize "perChannel" or {mean, std}, and tables): x = v * channelScale[c] + channelOffset[c]. */
  channelScale?: number[];
  channelOffset?: number[];
  /** The name of each class id, when the source names them. */
  classNames?: string[];
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
  // A validation folder of its own (imageFolder) is the validation split; else it is drawn from training.
  const drawn = source.validation
    ? { taken: Uint32Array.from({ length: source.validation.count }, (_, i) => i), rest }
    : stratifiedTake(rest, train.labels, Math.round(rest.length * spec.validationSplit));
  const val: Split = { set: source.validation ?? train, indices: drawn.taken };
  const extra = source.unlabeled ? Uint32Array.from({ length: source.unlabeled.count }, (_, i) => source.train.count + i) : new Uint32Array(0);
  const trn: Split = { set: train, indices: concat(drawn.rest, extra) };
  if (trn.indices.length === 0) throw new Error('the training split is empty: use more data or smaller validation/test splits');

  let maxLabel = 0;
  for (const s of [trn, val, testSplit]) for (const i of s.indices) maxLabel = Math.max(maxLabel, s.set.labels[i]);
  const numClasses = Math.max(2, maxLabel + 1, source.classNames?.length ?? 0);

  const dataClasses = [...new Set([...source.train.labels, ...(source.test?.labels ?? []), ...(source.validation?.labels ?? [])])].sort((a, b) => a - b);
  return {
    train: trn,
    val,
    test: testSplit,
    numClasses,
    shape: [train.height, train.width, train.channels],
    ...normalisation(spec.normalize, trn, source.tabular === true),
    dataClasses,
    ...(source.classNames ? { classNames: source.classNames } : {}),
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
  // sources.ts refuses unlabeled bytes beside float samples: both are bytes here.
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

/** data.normalize that does not fit the data (e.g. 3 means for 1 channel): the config's fault, at data.normalize. */
export class NormalizeError extends Error {}

/**
 * The affine map from stored values to the model's input. Stored uint8 pixels are first
 * scaled to 0–1 ("unit"); floats are taken as they are. Statistics come from the training
 * split only. Tables are standardised per feature unless mean/std are given.
 */
export function normalisation(spec: NormalizeSpec, trn: Split, tabular: boolean): Pick<Dataset, 'scale' | 'offset' | 'channelScale' | 'channelOffset'> {
  const unit = trn.set.images instanceof Uint8Array ? 1 / 255 : 1;
  const c = trn.set.channels;
  const mode = tabular && spec === 'unit' ? 'perChannel' : spec;
  if (mode === 'unit') return { scale: unit, offset: 0 };
  if (mode === 'standard') {
    const { mean, std } = valueStats(trn, unit, 1);
    return { scale: unit / std[0], offset: -mean[0] / std[0] };
  }
  const { mean, std } = mode === 'perChannel' ? valueStats(trn, unit, c) : perChannelGiven(mode, c);
  return { scale: unit, offset: 0, channelScale: std.map((s) => unit / s), channelOffset: mean.map((m, k) => -m / std[k]) };
}

function perChannelGiven(given: { mean: number[]; std: number[] }, channels: number): { mean: number[]; std: number[] } {
  for (const key of ['mean', 'std'] as const) {
    const n = given[key].length;
    if (n !== 1 && n !== channels)
      throw new NormalizeError(
        `${n} values in ${key} for data of ${channels} channel${channels > 1 ? 's' : ''} (give ${channels === 1 ? '1' : `1 or ${channels}`})`,
      );
  }
  const at = (a: number[], k: number) => (a.length === 1 ? a[0] : a[k]);
  return { mean: Array.from({ length: channels }, (_, k) => at(given.mean, k)), std: Array.from({ length: channels }, (_, k) => at(given.std, k)) };
}

/** Mean and sd of the unit-scaled values of a split, over `groups` channel groups (1: every value; C: per channel). */
function valueStats(split: Split, unit: number, groups: number): { mean: number[]; std: number[] } {
  const c = split.set.channels;
  const px = split.set.height * split.set.width * c;
  const sum = new Float64Array(groups);
  const sq = new Float64Array(groups);
  const images = split.set.images;
  for (const i of split.indices) {
    const base = i * px;
    for (let p = 0; p < px; p++) {
      const v = images[base + p] * unit;
      const g = groups === 1 ? 0 : p % c;
      sum[g] += v;
      sq[g] += v * v;
    }
  }
  const n = (split.indices.length * px) / groups;
  const mean = Array.from(sum, (s) => s / n);
  // A value constant over the training split (a table's constant column, a border pixel always 0)
  // keeps its scale (sd 1, as scikit-learn does): dividing by ~0 would blow any other value up.
  return { mean, std: mean.map((m, g) => (sq[g] / n - m * m > 1e-12 ? Math.sqrt(sq[g] / n - m * m) : 1)) };
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

/** Train-time augmentation (data.augment), drawn per sample from the step's seeded stream. */
export interface Augment {
  shift: number;
  crop?: number;
  flip?: boolean;
}

/** Whether a batch's pixels move: then the teacher runs live on each batch (no logits cache). */
export function isAugmented(a: Augment): boolean {
  return a.shift > 0 || (a.crop ?? 0) > 0 || !!a.flip;
}

/** What of data.augment keys a teacher's save folder: the settings that are on (a shift-only spec keys as it always did). */
export function augmentIdentity(a: Augment): Augment {
  return { shift: a.shift, ...(a.crop ? { crop: a.crop } : {}), ...(a.flip ? { flip: true } : {}) };
}

/** In words, for the run log: "shift 2px, crop 4px, flip". */
export function describeAugment(a: Augment): string {
  return [a.shift ? `shift ${a.shift}px` : '', a.crop ? `crop ${a.crop}px` : '', a.flip ? 'flip' : ''].filter(Boolean).join(', ');
}

/**
 * Fills one float batch from uint8 (or float32) storage. With augmentation, each image moves
 * by a random (dx, dy) in [-shift, shift] (and, for `crop` p, by a further [-p, p]: a crop of
 * the image padded by p, which is the same thing), zero-filled, and with `flip` half of them
 * are mirrored left to right after the move (crop, then flip: torchvision's CIFAR order). The
 * teacher and the student get this same array. Draws are made only for what is on, so a
 * shift-only run draws what it always drew.
 */
export function makeBatch(ds: Dataset, split: Split, indices: ArrayLike<number>, augment: number | Augment = 0, rng?: Rng): Batch {
  const aug: Augment = typeof augment === 'number' ? { shift: augment } : augment;
  const [h, w, c] = ds.shape;
  const px = h * w * c;
  const size = indices.length;
  const x = new Float32Array(size * px);
  const y = new Int32Array(size);
  const scale = ds.channelScale ?? new Array<number>(c).fill(ds.scale);
  const offset = ds.channelOffset ?? new Array<number>(c).fill(ds.offset);
  const perChannel = !!ds.channelScale;
  const images = split.set.images;
  const moves = !!rng && (aug.shift > 0 || (aug.crop ?? 0) > 0 || !!aug.flip);
  for (let b = 0; b < size; b++) {
    const src = indices[b] * px;
    const dst = b * px;
    y[b] = split.set.labels[indices[b]];
    if (moves) {
      let dx = 0;
      let dy = 0;
      if (aug.shift > 0) {
        dx = Math.floor(rng() * (2 * aug.shift + 1)) - aug.shift;
        dy = Math.floor(rng() * (2 * aug.shift + 1)) - aug.shift;
      }
      const p = aug.crop ?? 0;
      if (p > 0) {
        dx += Math.floor(rng() * (2 * p + 1)) - p;
        dy += Math.floor(rng() * (2 * p + 1)) - p;
      }
      const flip = aug.flip ? rng() < 0.5 : false;
      for (let ch = 0; ch < c; ch++) for (let q = ch; q < px; q += c) x[dst + q] = offset[ch];
      for (let r = 0; r < h; r++) {
        const sr = r - dy;
        if (sr < 0 || sr >= h) continue;
        for (let col = 0; col < w; col++) {
          const sc = (flip ? w - 1 - col : col) - dx;
          if (sc < 0 || sc >= w) continue;
          for (let ch = 0; ch < c; ch++) x[dst + (r * w + col) * c + ch] = images[src + (sr * w + sc) * c + ch] * scale[ch] + offset[ch];
        }
      }
    } else if (perChannel) {
      for (let q = 0; q < px; q++) x[dst + q] = images[src + q] * scale[q % c] + offset[q % c];
    } else {
      const s0 = ds.scale;
      const o0 = ds.offset;
      for (let q = 0; q < px; q++) x[dst + q] = images[src + q] * s0 + o0;
    }
  }
  return { x, y, size };
}
