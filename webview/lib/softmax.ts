/** softmax(z / T), numerically stable (the max is subtracted first). */
export function softmaxT(logits: readonly number[], temperature: number): number[] {
  const t = temperature > 0 && Number.isFinite(temperature) ? temperature : 1;
  let max = -Infinity;
  for (const z of logits) if (z / t > max) max = z / t;
  const exps = logits.map((z) => Math.exp(z / t - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

export function argmax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** Shannon entropy in nats: how "soft" a distribution is. */
export function entropy(p: readonly number[]): number {
  let h = 0;
  for (const x of p) if (x > 0) h -= x * Math.log(x);
  return h;
}

/** KL(p ‖ q) in nats, the term distillation minimises (scaled by T²). */
export function klDivergence(p: readonly number[], q: readonly number[]): number {
  let kl = 0;
  for (let i = 0; i < p.length; i++) if (p[i] > 0) kl += p[i] * Math.log(p[i] / Math.max(q[i], 1e-12));
  return kl;
}

/** Decodes logits.json's base64 pixels to bytes (browser and node alike). */
export function decodeBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Gray or RGB(A) uint8 pixels → RGBA for ImageData. */
export function toRgba(pixels: Uint8Array, shape: readonly number[]): Uint8ClampedArray<ArrayBuffer> {
  const [h, w, c = 1] = shape;
  const rgba = new Uint8ClampedArray(h * w * 4);
  for (let i = 0; i < h * w; i++) {
    const r = pixels[i * c] ?? 0;
    rgba[i * 4] = r;
    rgba[i * 4 + 1] = c >= 3 ? pixels[i * c + 1] : r;
    rgba[i * 4 + 2] = c >= 3 ? pixels[i * c + 2] : r;
    rgba[i * 4 + 3] = 255;
  }
  return rgba;
}
