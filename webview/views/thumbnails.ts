/** Sample thumbnails from logits.json's pixels, drawn on canvases (no markup, no URLs). */
import type { LogitsFile } from '../../src/protocol/webviewMessages';
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
