import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildDataset, describeSplits, splitWarnings, type Dataset, type Split } from '../../../src/engine/data/dataset';
import { encodeIdx } from '../../../src/engine/data/idx';
import { loadSourceSync } from '../../../src/engine/data/sources';
import { classCounts as countsOf, stratifiedTake } from '../../../src/engine/data/stratified';
import { mulberry32, shuffleInPlace } from '../../../src/engine/util/rng';
import { DataSpec } from '../../../src/protocol/config';

/** `n` tiny 2×2 images, sorted by class (n / classes of each), as IDX files in a fresh folder; each image's first pixel is its index mod 256. */
function writeSorted(dir: string, name: string, n: number, classes = 10): { images: string; labels: string } {
  const images = path.join(dir, `${name}-images.idx`);
  const labels = path.join(dir, `${name}-labels.idx`);
  const px = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) px[i * 4] = i % 256;
  fs.writeFileSync(images, encodeIdx([n, 2, 2], px));
  fs.writeFileSync(
    labels,
    encodeIdx(
      [n],
      Uint8Array.from({ length: n }, (_, i) => Math.floor((i * classes) / n)),
    ),
  );
  return { images, labels };
}

function classCounts(split: Split, classes = 10): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const i of split.indices) counts[split.set.labels[i]]++;
  return counts;
}

function load(spec: object, baseDir: string, seed = 7): Dataset {
  const parsed = DataSpec.parse(spec);
  return buildDataset(loadSourceSync(parsed, baseDir), parsed, seed);
}

describe('data splits', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-splits-'));
  const train = writeSorted(dir, 'train', 600);
  const test = writeSorted(dir, 'test', 1000);
  const extra = path.join(dir, 'unlabeled.idx');
  fs.writeFileSync(extra, encodeIdx([1800, 2, 2], new Uint8Array(1800 * 4).fill(9)));

  it('unlabeled images join training once, and never validation or test: the counts add up to the inputs', () => {
    const ds = load({ source: { train }, unlabeledImages: extra }, dir);
    // 600 labelled: 120 test (0.2), then 48 validation (0.1 of 480), 432 train; plus 1 800 unlabeled.
    assert.equal(ds.test.indices.length, 120);
    assert.equal(ds.val.indices.length, 48);
    assert.equal(ds.train.indices.length, 432 + 1800);
    assert.equal(ds.unlabeledFrom, 600);
    for (const [name, s] of [
      ['validation', ds.val],
      ['test', ds.test],
    ] as const) {
      assert.ok(
        Array.from(s.indices).every((i) => i < 600),
        `no unlabeled image in ${name}`,
      );
    }
    const trainCounts = new Map<number, number>();
    for (const i of ds.train.indices) trainCounts.set(i, (trainCounts.get(i) ?? 0) + 1);
    for (let u = 600; u < 2400; u++) assert.equal(trainCounts.get(u), 1, `unlabeled image ${u} trains exactly once`);
    const labelled = [...ds.test.indices, ...ds.val.indices, ...Array.from(ds.train.indices).filter((i) => i < 600)].sort((a, b) => a - b);
    assert.deepEqual(
      labelled,
      Array.from({ length: 600 }, (_, i) => i),
      'the labelled samples are split, each into one subset',
    );
    // Validation and test accuracies are scored on true labels: the sorted file's label of each index.
    for (const i of [...ds.val.indices, ...ds.test.indices]) assert.equal(ds.test.set.labels[i], Math.floor((i * 10) / 600));
    assert.equal(describeSplits(ds), '432 train + 1800 unlabeled images / 48 validation / 120 test');
  });

  it('every subset is stratified: validation and test hold each class in proportion', () => {
    const ds = load({ source: { train } }, dir);
    assert.deepEqual(classCounts(ds.test), new Array(10).fill(12), 'test: 120 of 600, 12 a class');
    for (const c of classCounts(ds.val)) assert.ok(c === 4 || c === 5, `validation: 48 over 10 classes, 4 or 5 each (${classCounts(ds.val)})`);
    for (const c of classCounts(ds.train)) assert.ok(c === 43 || c === 44, `train: 432 over 10 classes (${classCounts(ds.train)})`);
    assert.deepEqual(splitWarnings(ds), []);
  });

  it('data.limit with test files samples the test file by class, not its first images', () => {
    const ds = load({ source: { train, test }, limit: 300 }, dir);
    // ceil(300 × 0.2) = 60 of the class-sorted 1000: the first 60 would all be class 0.
    assert.equal(ds.test.indices.length, 60);
    assert.deepEqual(classCounts(ds.test), new Array(10).fill(6));
    // The limited training pool is stratified too: 300 of 600, 30 a class.
    const pool = [...classCounts(ds.train)].map((c, k) => c + classCounts(ds.val)[k]);
    assert.deepEqual(pool, new Array(10).fill(30));
  });

  it('is deterministic in the seed, and another seed draws other samples', () => {
    const a = load({ source: { train, test }, limit: 300 }, dir, 3);
    const b = load({ source: { train, test }, limit: 300 }, dir, 3);
    const c = load({ source: { train, test }, limit: 300 }, dir, 4);
    for (const k of ['train', 'val', 'test'] as const) assert.deepEqual(Array.from(a[k].indices), Array.from(b[k].indices));
    assert.notDeepEqual(Array.from(a.test.indices).sort(), Array.from(c.test.indices).sort());
    // The training order is not grouped by class (data.unlabeled hides the first samples of it).
    const first = Array.from(a.train.indices.subarray(0, 30), (i) => a.train.set.labels[i]);
    assert.ok(new Set(first).size >= 5, `the first 30 training samples span classes: ${first}`);
  });

  it('a subset that lacks a class the data has is named, with how many of each class it holds', () => {
    // 10 classes of 5 samples; limit 6 leaves at least 4 classes out of each subset.
    const small = writeSorted(dir, 'small', 50);
    const ds = load({ source: { train: small }, limit: 6, testSplit: 0.5, validationSplit: 0 }, dir);
    assert.equal(ds.test.indices.length + ds.train.indices.length, 6);
    const warnings = splitWarnings(ds);
    assert.ok(warnings.length >= 1);
    const trainLine = warnings.find((w) => w.startsWith('the training split'));
    assert.ok(trainLine, warnings.join('\n'));
    const held = classCounts(ds.train);
    const missing = held.map((c, k) => (c === 0 ? k : -1)).filter((k) => k >= 0);
    assert.match(trainLine, new RegExp(`lacks class(es)? ${missing.join(', ')} of the 10 the data has`));
    assert.ok(trainLine.includes(held.map((c, k) => `${k}: ${c}`).join(', ')), trainLine);
  });
});

describe('stratifiedTake', () => {
  it('gives each class floor or ceil of its share, n in all, in the given order', () => {
    const rng = mulberry32(11);
    for (let trial = 0; trial < 200; trial++) {
      const total = 1 + Math.floor(rng() * 60);
      const labels = Array.from({ length: total }, () => Math.floor(rng() * rng() * 6));
      const order = Uint32Array.from({ length: total }, (_, i) => i);
      shuffleInPlace(order, rng);
      const n = Math.floor(rng() * (total + 1));
      const { taken, rest } = stratifiedTake(order, labels, n);
      assert.equal(taken.length, n);
      assert.deepEqual(
        [...taken, ...rest].sort((a, b) => a - b),
        Array.from({ length: total }, (_, i) => i),
      );
      const pos = new Map(Array.from(order, (i, k) => [i, k]));
      for (const part of [taken, rest]) for (let k = 1; k < part.length; k++) assert.ok(pos.get(part[k])! > pos.get(part[k - 1])!, 'keeps the order');
      const all = countsOf(order, labels, 6);
      const got = countsOf(taken, labels, 6);
      all.forEach((k, c) => {
        const share = (n * k) / total;
        assert.ok(got[c] === Math.floor(share) || got[c] === Math.ceil(share), `class ${c}: ${got[c]} of share ${share}`);
      });
    }
  });
});
