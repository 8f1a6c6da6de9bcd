/** Sample thumbnails from logits.json's pixels, drawn on canvases (no markup, no URLs). */
import type { InspectedSamples, LogitsFile } from '../../src/protocol/webviewMessages';
import { thumbnailScale } from '../lib/cellSamples';
import { h } from '../lib/dom';
import { decodeBase64, toRgba } from '../lib/softmax';

const cache = new Map<string, ImageData>();

function imageData(logits: LogitsFile, position: number): ImageData | undefined {
  const b64 = logits.images?.[position];
  const shape = logits.shape;
  if (!b64 || !shape || shape.length < 2) return undefined;
  const key = `${position}:${b64.length}:${b64.slice(0, 32)}`;
  let img = cache.get(key);
  if (!img) {
    const pixels = decodeBase64(b64);
    if (pixels.length < shape[0] * shape[1] * (shape[2] ?? 1)) return undefined;
    img = new ImageData(toRgba(pixels, shape), shape[1], shape[0]);
    cache.set(key, img);
  }
  return img;
}

/** A canvas showing sample `position`'s pixels, scaled up by CSS; undefined without pixels. */
export function thumbnail(logits: LogitsFile | undefined, position: number, cssSize = 56): HTMLCanvasElement | undefined {
  if (!logits) return undefined;
  const img = imageData(logits, position);
  if (!img) return undefined;
  const c = h('canvas', { class: 'thumb', width: img.width, height: img.height, 'data-position': position });
  c.style.width = `${cssSize}px`;
  c.style.height = `${Math.round((cssSize * img.height) / img.width)}px`;
  c.getContext('2d')!.putImageData(img, 0, 0);
  return c;
}

const storedCache = new WeakMap<InspectedSamples, Map<number, ImageData>>();

/**
 * A canvas with stored sample `k` of logits.json's `samples` at its own size, shown at an integer
 * multiple of it (thumbnailScale: 28 px digits ×2, 32 px CIFAR ×2, 64 px ×1) and pixelated, so
 * every pixel of the data is a crisp square; undefined without pixels.
 */
export function storedThumbnail(samples: InspectedSamples | undefined, k: number, label: string): HTMLCanvasElement | undefined {
  const b64 = samples?.images?.[k];
  const shape = samples?.shape;
  if (!samples || !b64 || !shape || shape.length < 2) return undefined;
  let byK = storedCache.get(samples);
  if (!byK) storedCache.set(samples, (byK = new Map()));
  let img = byK.get(k);
  if (!img) {
    const pixels = decodeBase64(b64);
    if (pixels.length < shape[0] * shape[1] * (shape[2] ?? 1)) return undefined;
    img = new ImageData(toRgba(pixels, shape), shape[1], shape[0]);
    byK.set(k, img);
  }
  const scale = thumbnailScale(img.height, img.width);
  const c = h('canvas', { class: 'thumb', width: img.width, height: img.height, role: 'img', 'aria-label': label, 'data-scale': scale });
  c.style.width = `${img.width * scale}px`;
  c.style.height = `${img.height * scale}px`;
  c.getContext('2d')!.putImageData(img, 0, 0);
  return c;
}
