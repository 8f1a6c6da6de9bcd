// Writes the committed data of examples/image-folder (grey PNGs in class folders) and
// examples/csv (a table of 7×7 block means of the digits, string labels), both from the
// bundled digits. Run it again after changing either: `npx tsx scripts/gen-example-data.ts`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DIGIT_NAMES, pickDigits, writePngFolder, type Digits } from './fixtures/digitFormats';

const root = path.resolve(__dirname, '..', 'examples');

/** Samples [from, to) of each class of `d` (taken class by class). */
function slice(d: Digits, perClass: number, from: number, to: number): Digits {
  const px = d.side * d.side;
  const keep: number[] = [];
  for (let c = 0; c < 10; c++) for (let i = from; i < to; i++) keep.push(c * perClass + i);
  const images = new Uint8Array(keep.length * px);
  keep.forEach((k, j) => images.set(d.images.subarray(k * px, (k + 1) * px), j * px));
  return { images, labels: Uint8Array.from(keep, (k) => d.labels[k]), count: keep.length, side: d.side };
}

/** 7×7 means of 4×4 blocks, rounded: 49 features a digit. */
function blockCsv(d: Digits): string {
  const rows = ['digit,' + Array.from({ length: 49 }, (_, k) => `b${Math.floor(k / 7)}${k % 7}`).join(',')];
  for (let i = 0; i < d.count; i++) {
    const f: number[] = [];
    for (let by = 0; by < 7; by++)
      for (let bx = 0; bx < 7; bx++) {
        let s = 0;
        for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) s += d.images[i * 784 + (by * 4 + y) * 28 + bx * 4 + x];
        f.push(Math.round(s / 16));
      }
    rows.push([DIGIT_NAMES[d.labels[i]], ...f].join(','));
  }
  return rows.join('\n') + '\n';
}

async function main(): Promise<void> {
  const perClass = 140;
  const d = pickDigits(perClass);
  const folder = path.join(root, 'image-folder', 'data');
  fs.rmSync(folder, { recursive: true, force: true });
  await writePngFolder(slice(d, perClass, 0, 60), path.join(folder, 'train'), DIGIT_NAMES);
  await writePngFolder(slice(d, perClass, 60, 80), path.join(folder, 'test'), DIGIT_NAMES);
  fs.writeFileSync(path.join(root, 'csv', 'train.csv'), blockCsv(slice(d, perClass, 0, 100)));
  fs.writeFileSync(path.join(root, 'csv', 'test.csv'), blockCsv(slice(d, perClass, 100, 140)));
  console.log(`wrote ${folder} and ${path.join(root, 'csv')}`);
}

void main();
