/**
 * CIFAR-10 and CIFAR-100 binary files (the "binary version" of the data sets): records of label
 * byte(s) then 3 072 pixel bytes, channel-planar (1 024 red, 1 024 green, 1 024 blue, row by
 * row). CIFAR-10 has one label byte; CIFAR-100 two, coarse then fine. Stored here
 * interleaved (H×W×C), like every other source. Class names come from the text files the
 * archives ship beside the batches, when they are there.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CifarSource } from '../../../protocol/config';
import type { ImageSet } from '../sources';

const SIDE = 32;
const PIXELS = SIDE * SIDE;

type Labels = CifarSource['labels'];

export function readCifarFiles(files: string[], labels: Labels): ImageSet {
  const labelBytes = labels === 'cifar10' ? 1 : 2;
  const record = labelBytes + 3 * PIXELS;
  const parts = files.map((file) => {
    if (!fs.statSync(file).isFile()) throw new Error(`${file}: not a regular file`);
    const bytes = fs.readFileSync(file);
    if (bytes.length === 0 || bytes.length % record !== 0) {
      const other = labels === 'cifar10' ? 1 + 3 * PIXELS + 1 : 1 + 3 * PIXELS;
      const hint =
        bytes.length % other === 0 && bytes.length
          ? ` (it reads as ${labels === 'cifar10' ? 'CIFAR-100: set "labels": "fine" or "coarse"' : 'CIFAR-10: set "labels": "cifar10"'})`
          : '';
      throw new Error(
        `${file}: wrong length for a CIFAR${labels === 'cifar10' ? '-10' : '-100'} batch: ${bytes.length} bytes is not a whole number of ${record}-byte records${hint}`,
      );
    }
    return bytes;
  });
  const count = parts.reduce((n, b) => n + b.length / record, 0);
  const images = new Uint8Array(count * 3 * PIXELS);
  const out = new Uint8Array(count);
  let k = 0;
  for (const bytes of parts) {
    for (let at = 0; at < bytes.length; at += record, k++) {
      out[k] = labels === 'fine' ? bytes[at + 1] : bytes[at];
      const px = at + labelBytes;
      const dst = k * 3 * PIXELS;
      for (let p = 0; p < PIXELS; p++) {
        images[dst + 3 * p] = bytes[px + p];
        images[dst + 3 * p + 1] = bytes[px + PIXELS + p];
        images[dst + 3 * p + 2] = bytes[px + 2 * PIXELS + p];
      }
    }
  }
  return { images, labels: out, count, height: SIDE, width: SIDE, channels: 3 };
}

/** The class names from batches.meta.txt (CIFAR-10), fine_label_names.txt or coarse_label_names.txt (CIFAR-100) beside the first batch. */
export function cifarClassNames(firstFile: string, labels: Labels): string[] | undefined {
  const name = labels === 'cifar10' ? 'batches.meta.txt' : `${labels}_label_names.txt`;
  const file = path.join(path.dirname(firstFile), name);
  if (!fs.existsSync(file)) return undefined;
  const names = fs
    .readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter((s) => s.length);
  return names.length ? names : undefined;
}
