/**
 * Quantized weights in tfjs-converter's manifest format, read back by tfjs's own decoder
 * (io.decodeWeights): float16 bits against known IEEE half values, and the dequantized
 * weights within half a step (uint8) or half float's precision (float16) of the originals.
 */
import { strict as assert } from 'node:assert';
import type * as tfTypes from '@tensorflow/tfjs';
import { quantizeWeights, toFloat16Bits } from '../../../../src/engine/export/quantize';
import { wasmTf } from '../helpers';

describe('engine/export/quantize: float16 and uint8 weights tfjs dequantizes', () => {
  let tf: typeof tfTypes;
  before(async () => {
    tf = await wasmTf();
  });

  it('float16 bits: exact values, rounding to nearest even, subnormals, overflow', () => {
    const cases: [number, number][] = [
      [1, 0x3c00],
      [-2, 0xc000],
      [0.5, 0x3800],
      [65504, 0x7bff],
      [65520, 0x7c00],
      [1e-8, 0x0000],
      [Math.pow(2, -24), 0x0001],
      [Math.pow(2, -14), 0x0400],
      [0.1, 0x2e66],
      [1 + Math.pow(2, -11), 0x3c00], // a tie: to even
      [1 + 3 * Math.pow(2, -11), 0x3c02], // a tie: to even (up)
      [Infinity, 0x7c00],
    ];
    for (const [v, bits] of cases) assert.equal(toFloat16Bits(v), bits, `${v}`);
    assert.equal(toFloat16Bits(NaN) & 0x7c00, 0x7c00);
  });

  for (const dtype of ['float16', 'uint8'] as const) {
    it(`${dtype}: tfjs's loader gives back the weights within the format's precision`, () => {
      const a = Float32Array.from({ length: 300 }, (_, i) => Math.sin(i) * 3);
      const b = Float32Array.from({ length: 7 }, (_, i) => i - 3);
      const data = new Float32Array([...a, ...b]).buffer;
      const specs = [
        { name: 'a', shape: [300], dtype: 'float32' as const },
        { name: 'b', shape: [7], dtype: 'float32' as const },
      ];
      const q = quantizeWeights(specs, data, dtype);
      assert.equal(q.weightData.byteLength, dtype === 'uint8' ? 307 : 614);
      const decoded = tf.io.decodeWeights(q.weightData.buffer as ArrayBuffer, q.weightSpecs);
      const back = decoded.a.dataSync();
      const step = dtype === 'uint8' ? 6 / 255 : 0;
      for (let i = 0; i < a.length; i++) {
        const tol = dtype === 'uint8' ? step / 2 + 1e-6 : Math.abs(a[i]) * Math.pow(2, -11) + 1e-7;
        assert.ok(Math.abs(back[i] - a[i]) <= tol, `${i}: ${back[i]} vs ${a[i]}`);
      }
      const bBack = Array.from(decoded.b.dataSync());
      if (dtype === 'float16') assert.deepEqual(bBack, Array.from(b), 'small integers are exact halves');
      // Each weight has its own range: b's ends (−3 and 3) are exact, its step is 6/255.
      else bBack.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= 3 / 255 + 1e-6 && (i % 6 !== 0 || Math.abs(v - b[i]) < 1e-6), `${i}: ${v}`));
      tf.dispose(Object.values(decoded));
    });
  }
});
