import * as tf from '@tensorflow/tfjs';

/** Deterministic values in [-1, 1). */
export function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  });
}

/**
 * Largest relative gap between tf.grad of f at x and central finite differences
 * (float64 in JS is not available to tfjs, so eps is moderate and the check is relative).
 */
export function gradientGap(f: (x: tf.Tensor) => tf.Scalar, x: tf.Tensor, eps = 1e-2): number {
  const analytic = tf.tidy(() => tf.grad(f)(x).dataSync() as Float32Array);
  const base = x.dataSync() as Float32Array;
  let worst = 0;
  for (let i = 0; i < base.length; i++) {
    const at = (d: number) =>
      tf.tidy(() => {
        const v = Float32Array.from(base);
        v[i] += d;
        return f(tf.tensor(v, x.shape)).dataSync()[0];
      });
    const numeric = (at(eps) - at(-eps)) / (2 * eps);
    worst = Math.max(worst, Math.abs(numeric - analytic[i]) / Math.max(1e-2, Math.abs(numeric) + Math.abs(analytic[i])));
  }
  return worst;
}
