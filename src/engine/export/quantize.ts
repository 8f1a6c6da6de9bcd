/**
 * A saved model's weights quantized in tfjs-converter's weightsManifest format, which tfjs's
 * loader (io.decodeWeights) dequantizes on load: `quantization: {dtype: "float16"}` holds
 * IEEE half floats; `{dtype: "uint8", min, scale}` holds q with w ≈ min + scale·q. Only
 * float32 weights are quantized; the topology is untouched.
 */
import type { io } from '@tensorflow/tfjs';

export type QuantizedDtype = 'float16' | 'uint8';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** A float32 as the bits of the nearest half float (ties to even; overflow to ±Infinity). */
export function toFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa moves into the exponent, as it should.
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}

function quantizeOne(values: Float32Array, dtype: QuantizedDtype): { bytes: Uint8Array; quantization: io.WeightsManifestEntry['quantization'] } {
  if (dtype === 'float16') {
    const out = new Uint16Array(values.length);
    for (let i = 0; i < values.length; i++) out[i] = toFloat16Bits(values[i]);
    return { bytes: new Uint8Array(out.buffer), quantization: { dtype: 'float16', original_dtype: 'float32' } as never };
  }
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!values.length) min = max = 0;
  const scale = max > min ? (max - min) / 255 : 1;
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Math.max(0, Math.min(255, Math.round((values[i] - min) / scale)));
  return { bytes: out, quantization: { dtype: 'uint8', min, scale, original_dtype: 'float32' } as never };
}

/** The weight specs and data of a model's artifacts, its float32 weights quantized to `dtype`. */
export function quantizeWeights(
  specs: io.WeightsManifestEntry[],
  data: ArrayBuffer,
  dtype: QuantizedDtype,
): { weightSpecs: io.WeightsManifestEntry[]; weightData: Uint8Array } {
  const parts: Uint8Array[] = [];
  const weightSpecs: io.WeightsManifestEntry[] = [];
  let offset = 0;
  for (const spec of specs) {
    if (spec.quantization) throw new Error(`weight "${spec.name}" is quantized already`);
    const count = spec.shape.reduce((a, b) => a * b, 1);
    const bytes = count * 4;
    const slice = data.slice(offset, offset + bytes);
    offset += bytes;
    if (spec.dtype !== 'float32') {
      parts.push(new Uint8Array(slice));
      weightSpecs.push(spec);
      continue;
    }
    const q = quantizeOne(new Float32Array(slice), dtype);
    parts.push(q.bytes);
    weightSpecs.push({ ...spec, quantization: q.quantization });
  }
  const total = parts.reduce((n, p) => n + p.length, 0);
  const weightData = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    weightData.set(p, at);
    at += p.length;
  }
  return { weightSpecs, weightData };
}
