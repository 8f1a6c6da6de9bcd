/**
 * Image folders (torchvision's ImageFolder, Keras's image_dataset_from_directory): one
 * subfolder per class, class names the folder names, sorted. Decoded and resized by sharp
 * (libvips) to `data.imageSize` (default: the first training image's size), stored as uint8
 * H×W×C. Channels: `data.channels`, else 3 unless every image is grey; images of another
 * channel count are converted here (grey copied to R, G and B; colour to grey by Rec. 709
 * luma) and the count said in a note. A corrupt image is named, or with
 * `data.skipUnreadable` skipped and counted. The whole source (train, validation, test
 * folders) is one decode-cache entry, keyed by every file's path, size and mtime and the options.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DataSpec, ImageFolderSource } from '../../../protocol/config';
import type { ImageSet } from '../sources';
import { decodeKey, readCacheEntry, writeCacheEntry } from './decodeCache';
import { requireOptionalNative } from '../../util/optionalNative';

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp', '.gif', '.tif', '.tiff', '.bmp', '.avif'];

export type Progress = (done: number, total: number) => void;

type SplitName = 'train' | 'validation' | 'test';

interface Listing {
  classNames: string[];
  /** Per class (in classNames order), its image files, sorted. */
  files: string[][];
}

/** The class subfolders of `dir` and their images; every structural problem named. */
export function listImageFolder(dir: string): Listing {
  const entries = fs.readdirSync(dir, { withFileTypes: true }).filter((e) => !e.name.startsWith('.'));
  const classNames = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  if (!classNames.length) {
    const loose = entries.filter((e) => e.isFile() && isImage(e.name)).length;
    throw new Error(
      `${dir}: no class subfolders${loose ? ` (${loose} images lie directly in it)` : ''}; an image folder holds one subfolder of images per class, e.g. ${path.join(dir, 'cat', '001.png')}`,
    );
  }
  // Labels are held as one byte a sample (data/sources.ts): a 257th class would wrap to class 0.
  if (classNames.length > 256) throw new Error(`${dir}: ${classNames.length} class subfolders; at most 256 classes`);
  const files = classNames.map((c) => {
    const sub = path.join(dir, c);
    const images = fs
      .readdirSync(sub, { withFileTypes: true })
      .filter((e) => e.isFile() && !e.name.startsWith('.') && isImage(e.name))
      .map((e) => path.join(sub, e.name))
      .sort();
    if (!images.length) throw new Error(`${sub}: class "${c}" has no images (${IMAGE_EXTENSIONS.join(', ')})`);
    return images;
  });
  return { classNames, files };
}

function isImage(name: string): boolean {
  return IMAGE_EXTENSIONS.includes(path.extname(name).toLowerCase());
}

interface CachedMeta {
  height: number;
  width: number;
  channels: number;
  classNames: string[];
  counts: Partial<Record<SplitName, number>>;
  notes: string[];
}

export interface ImageFolderData {
  sets: Partial<Record<SplitName, ImageSet>>;
  classNames: string[];
  notes: string[];
  cacheFile?: string;
  cacheHit: boolean;
}

type Options = Pick<DataSpec, 'imageSize' | 'channels' | 'fit' | 'skipUnreadable'>;

/** Decodes (or reads from the cache) every folder of the source; `dirs` are absolute. */
export async function loadImageFolders(
  dirs: Pick<ImageFolderSource, 'train' | 'validation' | 'test'>,
  options: Options,
  cacheDir: string | undefined,
  progress?: Progress,
): Promise<ImageFolderData> {
  const splits = (['train', 'validation', 'test'] as const).filter((s) => dirs[s] !== undefined);
  const listings = Object.fromEntries(splits.map((s) => [s, listImageFolder(dirs[s]!)])) as Record<SplitName, Listing>;
  const train = listings.train;
  for (const s of splits) {
    const unknown = listings[s].classNames.filter((c) => !train.classNames.includes(c));
    if (unknown.length)
      throw new Error(`${dirs[s]}: class folder${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} not in the training folder ${dirs.train}`);
  }
  const allFiles = splits.flatMap((s) => listings[s].files.flat());
  const opts = { imageSize: options.imageSize, channels: options.channels, fit: options.fit, skipUnreadable: options.skipUnreadable, splits };
  const key = cacheDir ? decodeKey('imageFolder', allFiles, opts) : undefined;
  if (cacheDir && key) {
    const hit = readCacheEntry<CachedMeta>(cacheDir, key);
    if (hit) {
      const { meta } = hit;
      const sets = Object.fromEntries(
        splits.map((s) => [
          s,
          { images: hit.arrays[`${s}.images`], labels: hit.arrays[`${s}.labels`] as Uint8Array, count: meta.counts[s]!, ...dims(meta) } satisfies ImageSet,
        ]),
      );
      return { sets, classNames: meta.classNames, notes: meta.notes, cacheFile: path.join(cacheDir, `decoded-${key}.bin`), cacheHit: true };
    }
  }
  const sharp = requireOptionalNative<Sharp>('sharp', 'image folders (data.source format "imageFolder")');
  const [height, width] = options.imageSize ?? (await firstSize(sharp, train.files[0][0]));
  const decoder = new Decoder(sharp, height, width, options.fit, options.skipUnreadable, allFiles.length, progress);
  const decoded: Partial<Record<SplitName, { rgb: Uint8Array; labels: Uint8Array; count: number }>> = {};
  for (const s of splits) {
    const labelOf = listings[s].files.flatMap((fs_, c) => fs_.map(() => train.classNames.indexOf(listings[s].classNames[c])));
    decoded[s] = await decoder.decodeAll(listings[s].files.flat(), labelOf);
  }
  const channels = options.channels ?? (decoder.colour > 0 ? 3 : 1);
  const notes: string[] = [];
  if (decoder.skipped.length)
    notes.push(`skipped ${decoder.skipped.length} unreadable image${decoder.skipped.length > 1 ? 's' : ''} (data.skipUnreadable), e.g. ${decoder.skipped[0]}`);
  const converted = channels === 3 ? decoder.grey : decoder.colour;
  if (converted)
    notes.push(`converted ${converted} ${channels === 3 ? 'grey images to RGB' : 'colour images to grey'} (mixed channel counts; data.channels ${channels})`);
  const sets: Partial<Record<SplitName, ImageSet>> = {};
  for (const s of splits) {
    const d = decoded[s]!;
    if (!d.count) throw new Error(`${dirs[s]}: no readable images (${decoder.skipped.length} skipped as unreadable)`);
    sets[s] = { images: channels === 3 ? d.rgb : toGrey(d.rgb), labels: d.labels, count: d.count, height, width, channels };
  }
  let cacheFile: string | undefined;
  if (cacheDir && key) {
    const meta: CachedMeta = { height, width, channels, classNames: train.classNames, counts: {}, notes };
    const arrays: Record<string, Uint8Array | Float32Array> = {};
    for (const s of splits) {
      meta.counts[s] = sets[s]!.count;
      arrays[`${s}.images`] = sets[s]!.images;
      arrays[`${s}.labels`] = sets[s]!.labels;
    }
    const written = writeCacheEntry(cacheDir, key, { meta, arrays });
    if (written instanceof Error) notes.push(`the decode cache could not be written (${written.message}): the next run decodes the images again`);
    else cacheFile = written;
  }
  return { sets, classNames: train.classNames, notes, cacheFile, cacheHit: false };
}

function dims(m: CachedMeta): Pick<ImageSet, 'height' | 'width' | 'channels'> {
  return { height: m.height, width: m.width, channels: m.channels };
}

type Sharp = typeof import('sharp').default;

async function firstSize(sharp: Sharp, file: string): Promise<[number, number]> {
  try {
    const m = await sharp(file).metadata();
    if (m.height && m.width) return [m.height, m.width];
  } catch (e) {
    throw new Error(`${file}: unreadable image (${(e as Error).message.trim()}); it sets the default data.imageSize`, { cause: e });
  }
  throw new Error(`${file}: an image without a size; set data.imageSize`);
}

/** Grey from interleaved RGB by Rec. 709 luma, rounded. */
function toGrey(rgb: Uint8Array): Uint8Array {
  const out = new Uint8Array(rgb.length / 3);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(0.2126 * rgb[3 * i] + 0.7152 * rgb[3 * i + 1] + 0.0722 * rgb[3 * i + 2]);
  return out;
}

/** Decodes files to RGB (grey images copied to three channels), a few at a time (libvips decodes on its own threads). */
class Decoder {
  grey = 0;
  colour = 0;
  skipped: string[] = [];
  private done = 0;
  private lastReport = 0;

  constructor(
    private readonly sharp: Sharp,
    private readonly height: number,
    private readonly width: number,
    private readonly fit: Options['fit'],
    private readonly skipUnreadable: boolean,
    private readonly total: number,
    private readonly progress?: Progress,
  ) {}

  async decodeAll(files: string[], labelOf: number[]): Promise<{ rgb: Uint8Array; labels: Uint8Array; count: number }> {
    const px = this.height * this.width * 3;
    const rgb = new Uint8Array(files.length * px);
    const ok = new Uint8Array(files.length);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < files.length; i = next++) ok[i] = (await this.decodeInto(files[i], rgb, i * px)) ? 1 : 0;
    };
    await Promise.all(Array.from({ length: 4 }, worker));
    // Skipped files leave holes: close them up, keeping the order.
    let count = 0;
    const labels = new Uint8Array(files.length);
    for (let i = 0; i < files.length; i++) {
      if (!ok[i]) continue;
      if (count !== i) rgb.copyWithin(count * px, i * px, (i + 1) * px);
      labels[count++] = labelOf[i];
    }
    return { rgb: rgb.subarray(0, count * px), labels: labels.subarray(0, count), count };
  }

  private async decodeInto(file: string, out: Uint8Array, at: number): Promise<boolean> {
    let data: Buffer;
    let channels: number;
    try {
      const bytes = await fs.promises.readFile(file);
      const image = this.sharp(bytes, { failOn: 'truncated' });
      // libvips hands grey images out as sRGB unless told: ask for what the file holds.
      const grey = ((await image.metadata()).channels ?? 3) <= 2;
      const r = await image
        .resize(this.width, this.height, { fit: this.fit })
        .removeAlpha()
        .toColourspace(grey ? 'b-w' : 'srgb')
        .raw()
        .toBuffer({ resolveWithObject: true });
      data = r.data;
      channels = r.info.channels;
      if (channels !== 1 && channels !== 3) throw new Error(`${channels} channels after removing alpha (expected grey or RGB)`);
      if (r.info.width !== this.width || r.info.height !== this.height) {
        throw new Error(
          `resized to ${r.info.height}×${r.info.width}, not ${this.height}×${this.width} (fit "${this.fit}" keeps the aspect ratio; use "cover" or "fill")`,
        );
      }
    } catch (e) {
      const message = `${file}: unreadable image (${(e as Error).message.trim()})`;
      if (!this.skipUnreadable) throw new Error(`${message}; set data.skipUnreadable to skip such files`, { cause: e });
      this.skipped.push(file);
      this.tick();
      return false;
    }
    if (channels === 1) {
      this.grey++;
      for (let p = 0; p < data.length; p++) out[at + 3 * p] = out[at + 3 * p + 1] = out[at + 3 * p + 2] = data[p];
    } else {
      this.colour++;
      out.set(data, at);
    }
    this.tick();
    return true;
  }

  private tick(): void {
    this.done++;
    const now = Date.now();
    if (this.progress && (now - this.lastReport > 200 || this.done === this.total)) {
      this.lastReport = now;
      this.progress(this.done, this.total);
    }
  }
}
